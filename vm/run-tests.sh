#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# remotefd VM test suite: builds kmod/ (and vm/testmods/*.c) for each Debian
# guest kernel of vm/kernels.conf, builds the C test helpers statically,
# packs a busybox initramfs per kernel, boots it under qemu (TCG, 1 vCPU)
# and collects PASS/FAIL lines from the serial console.  Prints per-kernel
# results and, last, "N passed, N failed, N skipped".
# Exit status: 0 all passed; 1 a scenario failed, a kernel was NOT RUN (its
# root or kernel missing, or the module did not build), did not finish, or
# its dmesg shows BUG/WARNING/Oops/lockdep/stall/... lines; 2 setup error.
#
# Usage: vm/run-tests.sh [ID...]     (default: every kernel of vm/kernels.conf:
#                                     5.10 6.1 6.12 6.12-deb13 6.12-rt 7.2)
#
# Kernels: the host's own Debian packages (root "/") and, for the others,
# chroots of other Debian suites built by vm/roots.sh (cached in
# RFD_ROOTS, default /var/cache/remotefd-vm/roots; built when missing).  The
# module is built inside the kernel's root with the gcc that built the
# kernel; the guest boots ROOT/boot/vmlinuz-VERSION with the guest modules
# of ROOT/lib/modules/VERSION.
#
# Debian packages needed (bookworm; scripts/deps.sh --vm):
#   qemu-system-x86 busybox-static gcc gcc-multilib make libc6-dev cpio
#   gzip xz-utils zstd mmdebstrap linux-image-amd64 linux-headers-amd64
#   linux-image-6.12-amd64 linux-headers-6.12-amd64
#
# Environment:
#   ADOPT_BIN_DIR    directory with the Swift CLI and samples to put into the
#                    guest (default: .build/release if it holds `adopt`);
#                    when set, the CLI scenarios FAIL if a binary is missing
#   ADOPT_BINS       names taken from it (default: adopt memfd-producer
#                    shm-producer dmabuf-producer); their shared libraries
#                    and loader come along (ldd)
#   RFD_EXTRA_MODULES  guest kernel modules to load before the scenarios, in
#                    addition to those listed in vm/modules.list; their
#                    dependencies come from modules.dep (vm/modules.ondemand:
#                    modules put in the guest but loaded by the scenarios
#                    needing them)
#   RFD_STRESS_ITERS / RFD_STRESS_THREADS   stress size (50000 / 4)
#   RFD_ONLY         development: run only these scenario numbers ("10 40")
#   RFD_PREBUILT_KO  load this remotefd.ko in the guest instead of the one
#                    built here (its vermagic must name the kernel: run one
#                    kernel ID); the test modules are still built
#   RFD_SCENARIO_DIR  take the scenarios from this directory instead of
#                    vm/scenarios (bench/vm-bench.sh: the benchmark only)
#   VM_TIMEOUT       seconds per kernel before the run counts as hung (900)
#   RFD_WORK         build directory (default vm/.work, gitignored)
#   RFD_ROOTS        chroot cache (vm/roots.sh; /var/cache/remotefd-vm/roots)
#   RFD_JOBS         guests booted at the same time (default 2 on a machine
#                    with 2 or more CPUs, each guest has 1 vCPU)
#   RFD_SMP          vCPUs per guest (1; the debug kernel: RFD_DEBUG_SMP, 2)
#
# Unsigned out-of-tree modules taint the kernel ("module verification
# failed"): expected, not an error.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$HERE")
WORK=${RFD_WORK:-$HERE/.work}
ROOTS=${RFD_ROOTS:-/var/cache/remotefd-vm/roots}
CONF=$HERE/kernels.conf
VM_TIMEOUT=${VM_TIMEOUT:-900}
STRESS_ITERS=${RFD_STRESS_ITERS:-50000}
STRESS_THREADS=${RFD_STRESS_THREADS:-4}
ADOPT_BINS=${ADOPT_BINS:-"adopt memfd-producer shm-producer dmabuf-producer sysv-producer"}
SMP=${RFD_SMP:-1}
ncpu=$(nproc 2>/dev/null || echo 1)
JOBS=${RFD_JOBS:-$((ncpu >= 2 ? 2 : 1))}
export RFD_ROOTS=$ROOTS

say() { printf '%s\n' "$*" >&2; }
die() { say "run-tests: $*"; exit 2; }

# ---- kernel table -----------------------------------------------------------
declare -A K_ROOT K_GLOB K_CC
ALL_IDS=()
while read -r id root glob cc _; do
	case "$id" in ''|'#'*) continue ;; esac
	ALL_IDS+=("$id")
	K_ROOT[$id]=$root K_GLOB[$id]=$glob K_CC[$id]=$cc
done < "$CONF"
# The debug kernel (scripts/debug-kernel.sh, vm/README.md "Debug kernel"):
# asked for by its id only, never in the default set.  Its "root" is the
# build's staging directory; the module is built with the host's gcc.
K_ROOT[debug]=@debug K_GLOB[debug]='*-rfd-debug' K_CC[debug]=gcc
DEBUG_DIR=${RFD_DEBUG_KERNEL_DIR:-/var/cache/remotefd-vm/debug-kernel/current/staging}
IDS=("$@")
[ ${#IDS[@]} -eq 0 ] && IDS=("${ALL_IDS[@]}")
for id in "${IDS[@]}"; do
	[ -n "${K_ROOT[$id]:-}" ] || die "unknown kernel '$id' (vm/kernels.conf has: ${ALL_IDS[*]})"
done

# ---- dependencies -----------------------------------------------------------
missing=()
need() { command -v "$1" >/dev/null 2>&1 || missing+=("$1 (Debian package $2)"); }
need qemu-system-x86_64 qemu-system-x86
need gcc gcc
need make make
need cpio cpio
need gzip gzip
need xz xz-utils
need zstd zstd
need ldd libc-bin
need timeout coreutils
for id in "${IDS[@]}"; do
	case "${K_ROOT[$id]}" in /|@*) continue ;; esac
	{ need mmdebstrap mmdebstrap; need chroot coreutils; need unshare util-linux; break; }
done
BUSYBOX=/bin/busybox
if [ ! -x $BUSYBOX ]; then
	missing+=("$BUSYBOX (Debian package busybox-static)")
elif ldd $BUSYBOX >/dev/null 2>&1; then
	missing+=("a static $BUSYBOX (Debian package busybox-static, not busybox)")
fi
probe=$(mktemp -d)
printf 'int main(void){return 0;}\n' > "$probe/t.c"
gcc -static -o "$probe/t" "$probe/t.c" 2>/dev/null ||
	missing+=("static glibc (Debian package libc6-dev)")
gcc -m32 -static -o "$probe/t32" "$probe/t.c" 2>/dev/null ||
	missing+=("32-bit static glibc for the compat_ioctl test (Debian package gcc-multilib)")
rm -rf "$probe"
if [ ${#missing[@]} -gt 0 ]; then
	say "run-tests: MISSING DEPENDENCIES:"
	for m in "${missing[@]}"; do say "  - $m"; done
	exit 2
fi

T_START=$(date +%s)

# ---- roots of the non-host kernels -----------------------------------------
suites=()
for id in "${IDS[@]}"; do
	r=${K_ROOT[$id]}
	[ "$r" = / ] && continue
	case "$r" in @*) continue ;; esac
	case " ${suites[*]} " in *" $r "*) ;; *) suites+=("$r") ;; esac
done
if [ ${#suites[@]} -gt 0 ]; then
	say "== roots: ${suites[*]} (vm/roots.sh, cache $ROOTS)"
	t0=$(date +%s)
	"$HERE/roots.sh" "${suites[@]}" || say "run-tests: some roots could not be built: their kernels are NOT RUN"
	say "== roots ready after $(($(date +%s) - t0)) s"
fi

# ---- resolve kernel versions ------------------------------------------------
declare -A K_RDIR K_VER K_NOTRUN
for id in "${IDS[@]}"; do
	r=${K_ROOT[$id]}
	if [ "$r" = / ]; then
		rdir=
	elif [ "$r" = @debug ]; then
		rdir=$DEBUG_DIR
		if [ ! -d "$rdir/lib/modules" ]; then
			K_NOTRUN[$id]="no debug kernel in $rdir (build it: scripts/debug-kernel.sh)"
			continue
		fi
	else
		rdir=$ROOTS/$r
		if [ ! -f "$rdir/.remotefd-root" ]; then
			K_NOTRUN[$id]="no Debian $r root (vm/roots.sh $r failed: see $ROOTS/$r.log)"
			continue
		fi
	fi
	K_RDIR[$id]=$rdir
	v=
	for d in "$rdir"/lib/modules/${K_GLOB[$id]}; do
		[ -d "$d" ] && v=$(printf '%s\n%s\n' "$v" "$(basename "$d")" | sed '/^$/d' | sort -V | tail -n 1)
	done
	if [ -z "$v" ]; then
		K_NOTRUN[$id]="no kernel ${K_GLOB[$id]} in ${rdir:-}/lib/modules$([ "$r" = / ] && echo ' (scripts/deps.sh --vm)')"
		continue
	fi
	hdr=$rdir/lib/modules/$v/build
	[ "$r" = / ] && hdr=/usr/src/linux-headers-$v
	if [ ! -f "$rdir/boot/vmlinuz-$v" ]; then
		K_NOTRUN[$id]="missing ${rdir:-}/boot/vmlinuz-$v"
	elif [ ! -e "$hdr/Makefile" ] && [ ! -e "$rdir/usr/src/linux-headers-$v/Makefile" ]; then
		K_NOTRUN[$id]="missing headers for $v in ${rdir:-/}"
	fi
	K_VER[$id]=$v
done

mkdir -p "$WORK/bin"

# ---- C helpers (static) -----------------------------------------------------
say "== building C helpers"
CFLAGS="-O2 -Wall -Wno-unused-result -pthread -I$REPO/kmod/include/uapi"
for c in "$HERE"/helpers/*.c; do
	n=$(basename "$c" .c)
	gcc -static $CFLAGS -o "$WORK/bin/$n" "$c" || die "building $n failed"
done
gcc -m32 -static $CFLAGS -o "$WORK/bin/rfd-basic32" "$HERE/helpers/rfd-basic.c" ||
	die "building rfd-basic32 failed"

# ---- optional userspace payload (Swift CLI and samples) ---------------------
PAYLOAD_EXPECTED=0
if [ -z "${ADOPT_BIN_DIR:-}" ] && [ -x "$REPO/.build/release/adopt" ]; then
	ADOPT_BIN_DIR=$REPO/.build/release
fi
[ -n "${ADOPT_BIN_DIR:-}" ] && PAYLOAD_EXPECTED=1

# copy_with_libs BIN ROOT: BIN into ROOT/opt/rfd/payload, its libs + loader
copy_with_libs() {
	local bin=$1 root=$2 lib
	cp -L "$bin" "$root/opt/rfd/payload/"
	for lib in $(ldd "$bin" 2>/dev/null | grep -o '/[^ )]*' || true); do
		[ -e "$lib" ] && cp -L --parents "$lib" "$root/" 2>/dev/null || true
	done
}

# copy_modules KROOT VER DEST MODULE...: each MODULE and its dependencies
# from KROOT/lib/modules/VER, decompressed into DEST, DEST/order listing
# them in load order; 1 if one is not in modules.dep
copy_modules() {
	local kroot=$1 ver=$2 dest=$3 m line path d seen=" "
	shift 3
	local mdir="$kroot/lib/modules/$ver"
	mkdir -p "$dest"
	: > "$dest/order"
	for m in "$@"; do
		line=$(grep -E "/${m//-/[-_]}\.ko(\.xz|\.zst|\.gz)?:" "$mdir/modules.dep" | head -n 1) || {
			say "run-tests: module $m not found in $mdir/modules.dep"
			return 1
		}
		# modules.dep lists dependencies so that the last loads first
		for path in $(echo "${line#*:}" | tr ' ' '\n' | tac) "${line%%:*}"; do
			[ -n "$path" ] || continue
			d=$(basename "$path"); d=${d%.xz}; d=${d%.zst}; d=${d%.gz}
			case "$seen" in *" $d "*) continue ;; esac
			seen="$seen$d "
			case "$path" in
			*.xz) xz -dc "$mdir/$path" > "$dest/$d" ;;
			*.zst) zstd -qdc "$mdir/$path" > "$dest/$d" ;;
			*.gz) gzip -dc "$mdir/$path" > "$dest/$d" ;;
			*) cp "$mdir/$path" "$dest/$d" ;;
			esac
			echo "$d" >> "$dest/order"
		done
	done
}

# extra_modules KROOT VER ROOT: vm/modules.list + RFD_EXTRA_MODULES (loaded
# at boot) into ROOT/lib/modules/extra; vm/modules.ondemand (loaded by the
# scenarios that need them: lib.sh's load_module) each into
# ROOT/lib/modules/ondemand/NAME, or NAME.missing saying why
extra_modules() {
	local kroot=$1 ver=$2 root=$3 m
	# shellcheck disable=SC2046
	copy_modules "$kroot" "$ver" "$root/lib/modules/extra" \
		$(sed 's/#.*//' "$HERE/modules.list" 2>/dev/null || true) ${RFD_EXTRA_MODULES:-} || return 1
	mkdir -p "$root/lib/modules/ondemand"
	for m in $(sed 's/#.*//' "$HERE/modules.ondemand" 2>/dev/null || true); do
		copy_modules "$kroot" "$ver" "$root/lib/modules/ondemand/$m" "$m" ||
			echo "not in $ver's modules.dep" > "$root/lib/modules/ondemand/$m.missing"
	done
}

# The previous release's module (ABI 1: GETFD and WATCH, no target handles),
# from git history, for vm/scenarios/41-cli-fastpath.sh: this adopt must
# fall back to GETFD against it.  It was written for 6.1 and 6.12; where it
# does not build (or there is no history), KW/kmod-v1/unavailable says why
# and the scenario reports a SKIP naming the reason.
RFD_V1_COMMIT=${RFD_V1_COMMIT:-7bdce0c}
prepare_v1() {
	local kw=$1 f
	mkdir -p "$kw/kmod-v1/include/uapi/linux"
	for f in remotefd_main.c capture.c compat.h remotefd.h include/uapi/linux/remotefd.h; do
		if ! git -C "$REPO" show "$RFD_V1_COMMIT:kmod/$f" > "$kw/kmod-v1/$f" 2>/dev/null; then
			echo "no git history of $RFD_V1_COMMIT in this checkout" > "$kw/kmod-v1/unavailable"
			return 0
		fi
	done
	printf 'obj-m := remotefd_v1.o\nremotefd_v1-y := remotefd_main.o capture.o\nccflags-y := -I$(src)/include/uapi\n' \
		> "$kw/kmod-v1/Kbuild"
}
# build_v1 KW COMMAND...: builds it unless unavailable; failure is recorded
build_v1() {
	local kw=$1
	shift
	[ -f "$kw/kmod-v1/unavailable" ] && return 0
	"$@" > "$kw/kmod-v1/build.log" 2>&1 ||
		echo "the $RFD_V1_COMMIT module does not build for this kernel: $(grep -m1 -E 'error|ERROR' "$kw/kmod-v1/build.log")" \
			> "$kw/kmod-v1/unavailable"
}

# build_modules ID VER KW: remotefd.ko in KW/kmod, vm/testmods/*.ko in
# KW/testmods; in the kernel's root (chroot) unless it is the host's
build_modules() {
	local id=$1 v=$2 kw=$3 rdir=${K_RDIR[$1]} cc=${K_CC[$1]} t f n
	local km=${RFD_KMOD_DIR:-$REPO/kmod}	# RFD_KMOD_DIR: another module source (vm/debug-rt-compare.sh)
	cp -r "$km/Kbuild" "$km/Makefile" "$km/include" "$kw/kmod/"
	cp "$km"/*.c "$km"/*.h "$kw/kmod/"
	local testmods=()
	for f in "$HERE"/testmods/*.c; do [ -f "$f" ] && testmods+=("$f"); done
	if [ ${#testmods[@]} -gt 0 ]; then
		mkdir -p "$kw/testmods"
		: > "$kw/testmods/Kbuild"
		for f in "${testmods[@]}"; do
			n=$(basename "$f" .c)
			cp "$f" "$kw/testmods/"
			echo "obj-m += $n.o" >> "$kw/testmods/Kbuild"
		done
		cp "$HERE"/testmods/*.h "$kw/testmods/" 2>/dev/null || true
		echo 'ccflags-y := -I$(src)/include/uapi' >> "$kw/testmods/Kbuild"
		cp -r "$REPO/kmod/include" "$kw/testmods/"
	fi
	prepare_v1 "$kw"
	# The debug kernel: its own build tree (a symlink in its staging dir).
	if [ "${K_ROOT[$id]}" = @debug ]; then
		make -C "$rdir/lib/modules/$v/build" M="$kw/kmod" CC="$cc" modules > "$kw/build.log" 2>&1 || return 1
		[ ${#testmods[@]} -eq 0 ] ||
			make -C "$rdir/lib/modules/$v/build" M="$kw/testmods" CC="$cc" modules >> "$kw/build.log" 2>&1 || return 1
		build_v1 "$kw" make -C "$rdir/lib/modules/$v/build" M="$kw/kmod-v1" CC="$cc" modules
		return 0
	fi
	if [ -z "$rdir" ]; then
		make -C "/usr/src/linux-headers-$v" M="$kw/kmod" CC="$cc" modules > "$kw/build.log" 2>&1 || return 1
		if [ ${#testmods[@]} -gt 0 ]; then
			make -C "/usr/src/linux-headers-$v" M="$kw/testmods" CC="$cc" modules >> "$kw/build.log" 2>&1 || return 1
		fi
		build_v1 "$kw" make -C "/usr/src/linux-headers-$v" M="$kw/kmod-v1" CC="$cc" modules
		return 0
	fi
	# chroot build: the sources are copied into the root (a fresh
	# directory per run), built there, and the results copied back.
	t=/var/tmp/remotefd-build-$id
	rm -rf "${rdir:?}$t"
	mkdir -p "$rdir$t"
	cp -r "$kw/kmod" "$rdir$t/"
	[ -d "$kw/testmods" ] && cp -r "$kw/testmods" "$rdir$t/"
	[ -d "$kw/kmod-v1" ] && cp -r "$kw/kmod-v1" "$rdir$t/"
	[ -c "$rdir/dev/null" ] || { rm -f "$rdir/dev/null"; mknod -m 666 "$rdir/dev/null" c 1 3; }
	local rc=0
	# objtool reads /proc: a private mount namespace with proc mounted in
	# the root, gone with the build (nothing stays mounted).
	in_root() {
		unshare -m sh -c 'mount -t proc proc "$1/proc" && shift && exec chroot "$@"' \
			sh "$rdir" "$rdir" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			HOME=/root LANG=C.UTF-8 "$@"
	}
	in_root make -C "/lib/modules/$v/build" M="$t/kmod" CC="$cc" modules > "$kw/build.log" 2>&1 || rc=1
	if [ $rc = 0 ] && [ -d "$kw/testmods" ]; then
		in_root make -C "/lib/modules/$v/build" M="$t/testmods" CC="$cc" modules >> "$kw/build.log" 2>&1 || rc=1
	fi
	if [ $rc = 0 ] && [ -d "$kw/kmod-v1" ]; then
		build_v1 "$kw" in_root make -C "/lib/modules/$v/build" M="$t/kmod-v1" CC="$cc" modules
		[ -f "$rdir$t/kmod-v1/remotefd_v1.ko" ] && cp "$rdir$t/kmod-v1/remotefd_v1.ko" "$kw/kmod-v1/"
	fi
	if [ $rc = 0 ]; then
		cp "$rdir$t/kmod/remotefd.ko" "$kw/kmod/"
		[ -d "$kw/testmods" ] && cp "$rdir$t"/testmods/*.ko "$kw/testmods/"
	fi
	rm -rf "${rdir:?}$t"
	return $rc
}

# prepare ID: module build and initramfs in WORK/VER; on failure the reason
# is in WORK/VER/notrun (runs as a background job)
prepare() {
	local id=$1 v=${K_VER[$1]} kw="$WORK/${K_VER[$1]}" root b sc t0
	rm -rf "$kw"
	mkdir -p "$kw/kmod"
	say "== $id ($v): building remotefd.ko with ${K_CC[$id]}${K_RDIR[$id]:+ in ${K_RDIR[$id]}}"
	t0=$(date +%s)
	if ! build_modules "$id" "$v" "$kw"; then
		sed "s/^/  [$id] /" "$kw/build.log" >&2
		echo "module build failed (log above; $kw/build.log)" > "$kw/notrun"
		return 0
	fi
	say "== $id: modules built in $(($(date +%s) - t0)) s"
	if [ -n "${RFD_PREBUILT_KO:-}" ]; then
		# the guest gets this module instead (scripts/install-test.sh: the
		# one DKMS built); it must be built for this very kernel
		local vm
		vm=$(modinfo -F vermagic "$RFD_PREBUILT_KO" 2>/dev/null | cut -d' ' -f1)
		if [ "$vm" != "$v" ]; then
			echo "RFD_PREBUILT_KO $RFD_PREBUILT_KO is built for '${vm:-?}', not $v" > "$kw/notrun"
			return 0
		fi
		cp "$RFD_PREBUILT_KO" "$kw/kmod/remotefd.ko"
		say "== $id: the guest loads the prebuilt $RFD_PREBUILT_KO (vermagic $vm)"
	fi
	grep -iE 'warning|error' "$kw/build.log" | sed "s/^/  [$id] /" >&2 || true

	root="$kw/root"
	mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,etc,lib/modules/test,opt/rfd/bin,opt/rfd/payload,tests/scenarios}
	cp $BUSYBOX "$root/bin/busybox"
	cp "$HERE/guest/init" "$root/init"
	chmod 755 "$root/init"
	cp "$kw/kmod/remotefd.ko" "$root/lib/modules/remotefd.ko"
	[ -d "$kw/testmods" ] && cp "$kw"/testmods/*.ko "$root/lib/modules/test/"
	if [ -f "$kw/kmod-v1/remotefd_v1.ko" ]; then
		cp "$kw/kmod-v1/remotefd_v1.ko" "$root/lib/modules/test/"
	elif [ -f "$kw/kmod-v1/unavailable" ]; then
		cp "$kw/kmod-v1/unavailable" "$root/lib/modules/test/remotefd_v1.unavailable"
	fi
	cp "$WORK"/bin/* "$root/opt/rfd/bin/"
	cp "$HERE/guest/lib.sh" "$root/tests/lib.sh"
	for sc in "${RFD_SCENARIO_DIR:-$HERE/scenarios}"/*.sh; do
		if [ -n "${RFD_ONLY:-}" ]; then
			case " $RFD_ONLY " in *" $(basename "$sc" .sh | cut -d- -f1) "*) ;; *) continue ;; esac
		fi
		cp "$sc" "$root/tests/scenarios/"
	done
	[ -d "$HERE/scenarios/data" ] && cp -r "$HERE/scenarios/data" "$root/tests/"
	# The debug kernel also runs vm/debug/scenarios (kmemleak, fault injection, fuzzer).
	if [ "${K_ROOT[$id]}" = @debug ] && [ -z "${RFD_SCENARIO_DIR:-}" ]; then
		for sc in "$HERE"/debug/scenarios/*.sh; do
			if [ -n "${RFD_ONLY:-}" ]; then
				case " $RFD_ONLY " in *" $(basename "$sc" .sh | cut -d- -f1) "*) ;; *) continue ;; esac
			fi
			cp "$sc" "$root/tests/scenarios/"
		done
	fi
	if ! extra_modules "${K_RDIR[$id]}" "$v" "$root"; then
		echo "guest modules missing (vm/modules.list, RFD_EXTRA_MODULES)" > "$kw/notrun"
		return 0
	fi
	: > "$root/tests/payload.expected"
	if [ "$PAYLOAD_EXPECTED" = 1 ]; then
		for b in $ADOPT_BINS; do
			echo "$b" >> "$root/tests/payload.expected"
			if [ -x "$ADOPT_BIN_DIR/$b" ]; then
				copy_with_libs "$ADOPT_BIN_DIR/$b" "$root"
			else
				say "run-tests: WARNING: $ADOPT_BIN_DIR/$b missing (its scenarios will FAIL)"
			fi
		done
	fi
	(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 > "$kw/initramfs.cpio.gz"
	cp "${K_RDIR[$id]}/boot/vmlinuz-$v" "$kw/vmlinuz"
}

# boot ID: runs the guest; serial console in WORK/VER/serial.raw, qemu's
# exit status and the wall time in WORK/VER/boot.status
boot() {
	local id=$1 kw="$WORK/${K_VER[$1]}" t0 qrc tmo=$VM_TIMEOUT mem=1024 smp=$SMP
	local extra="rfd.stress_iters=$STRESS_ITERS rfd.stress_threads=$STRESS_THREADS"
	if [ "${K_ROOT[$id]}" = @debug ]; then
		# KASAN + lockdep + kmemleak under TCG: slower, more memory,
		# smaller stress; slab_nomerge keeps /proc/slabinfo per cache.
		# 2 vCPUs: races between CPUs (capture's COLLECT against
		# rfd_deliver) only happen with two.
		tmo=${RFD_DEBUG_VM_TIMEOUT:-5400} mem=2048 smp=${RFD_DEBUG_SMP:-2}
		extra="rfd.stress_iters=${RFD_DEBUG_STRESS_ITERS:-1000} rfd.stress_threads=$STRESS_THREADS"
		extra+=" rfd.scenario_timeout=${RFD_DEBUG_SCENARIO_TIMEOUT:-1800} rfd.fuzz_seconds=${RFD_FUZZ_SECONDS:-180}"
		extra+=" ${RFD_FUZZ_SEED:+rfd.fuzz_seed=$RFD_FUZZ_SEED }slab_nomerge log_buf_len=8M"
	fi
	t0=$(date +%s)
	set +e
	timeout --foreground "$tmo" qemu-system-x86_64 -accel tcg -smp "$smp" -m "$mem" \
		-nographic -no-reboot \
		-kernel "$kw/vmlinuz" -initrd "$kw/initramfs.cpio.gz" \
		-append "console=ttyS0 panic=-1 quiet loglevel=3 rfd.kernel_id=$id $extra" \
		< /dev/null > "$kw/serial.raw" 2>&1
	qrc=$?
	set -e
	echo "$qrc $(($(date +%s) - t0))" > "$kw/boot.status"
}

# Module builds and initramfs, RFD_JOBS at a time.
running=0
for id in "${IDS[@]}"; do
	[ -n "${K_NOTRUN[$id]:-}" ] && continue
	while [ "$running" -ge "$JOBS" ]; do
		wait -n || true
		running=$((running - 1))
	done
	prepare "$id" &
	running=$((running + 1))
done
wait || true
for id in "${IDS[@]}"; do
	[ -n "${K_NOTRUN[$id]:-}" ] && continue
	f="$WORK/${K_VER[$id]}/notrun"
	[ -f "$f" ] && K_NOTRUN[$id]=$(cat "$f")
	[ -f "$WORK/${K_VER[$id]}/initramfs.cpio.gz" ] || K_NOTRUN[$id]=${K_NOTRUN[$id]:-"no initramfs (see above)"}
done
T_BUILT=$(date +%s)

# ---- boot (RFD_JOBS guests at a time) ---------------------------------------
# Interrupted: stop the guests too (timeout --foreground keeps qemu in our
# process group).
trap 'trap - INT TERM; kill 0' INT TERM
torun=()
for id in "${IDS[@]}"; do [ -z "${K_NOTRUN[$id]:-}" ] && torun+=("$id"); done
say "== booting ${torun[*]:-nothing} (qemu TCG, $SMP vCPU (debug: ${RFD_DEBUG_SMP:-2}), $JOBS at a time, timeout ${VM_TIMEOUT}s each (debug: ${RFD_DEBUG_VM_TIMEOUT:-5400}s))"
running=0
for id in "${torun[@]}"; do
	while [ "$running" -ge "$JOBS" ]; do
		wait -n || true
		running=$((running - 1))
	done
	say "== $id (${K_VER[$id]}): booting"
	boot "$id" &
	running=$((running + 1))
done
wait || true

# ---- results ----------------------------------------------------------------
# Kernel log lines that fail a kernel.  Lines between "rfd-test:
# expect-warning-begin" and "rfd-test: expect-warning-end" (written to
# /dev/kmsg by a scenario that provokes a known warning) are not checked.
BADRE='BUG:|WARNING:|Oops|[Rr]efcount|lockdep|general protection|Call Trace|UBSAN|KASAN'
BADRE+='|circular locking|sleeping function called from invalid context|scheduling while atomic'
BADRE+='|soft lockup|hard LOCKUP|self-detected stall|detected stall|kthread starved'
BADRE+='|hung task|hung_task|blocked for more than|MODLOAD-FAILED'
BADRE+='|ODEBUG:|suspected memory leak'
# Lines that match BADRE but are no problem (the debug kernel's boot banner).
OKRE='RCU lockdep checking is enabled'

TOTAL_PASS=0
TOTAL_FAIL=0
TOTAL_SKIP=0
BAD=0
SUMMARY=()
for id in "${IDS[@]}"; do
	v=${K_VER[$id]:-}
	if [ -n "${K_NOTRUN[$id]:-}" ]; then
		line="kernel $id${v:+ ($v)}: NOT RUN: ${K_NOTRUN[$id]}"
		say "== $line"
		SUMMARY+=("$line")
		TOTAL_FAIL=$((TOTAL_FAIL + 1))
		BAD=1
		continue
	fi
	kw="$WORK/$v"
	read -r qrc secs < "$kw/boot.status"
	tr -d '\r' < "$kw/serial.raw" > "$kw/serial.log"
	body=$(sed '/^=== DMESG BEGIN/,$d' "$kw/serial.log")
	dmesg_part=$(sed -n '/^=== DMESG BEGIN/,/^=== DMESG END/p' "$kw/serial.log")
	np=$(grep -c '^PASS ' <<< "$body" || true)
	nf=$(grep -c '^FAIL ' <<< "$body" || true)
	ns=$(grep -c '^SKIP ' <<< "$body" || true)
	grep -E '^(FAIL|SKIP) ' <<< "$body" | sed "s/^/  [$id] /" >&2 || true
	problems=()
	if ! grep -q '^=== SUITE DONE' "$kw/serial.log"; then
		problems+=("did not finish (qemu exit $qrc after ${secs}s; see $kw/serial.log)")
		dmesg_part=$(cat "$kw/serial.log")
	fi
	grep -q '=== BOOTED' "$kw/serial.log" || problems+=("did not boot")
	nexpected=$(grep -c 'rfd-test: expect-warning-begin' <<< "$dmesg_part" || true)
	badlines=$(awk '/rfd-test: expect-warning-begin/ { skip = 1 }
		!skip { print }
		/rfd-test: expect-warning-end/ { skip = 0 }' <<< "$dmesg_part" |
		grep -aE "$BADRE" | grep -avE "$OKRE" || true)
	if [ -n "$badlines" ]; then
		problems+=("kernel log shows problems:")
		say "$badlines" | head -n 40 | sed "s/^/  [$id] /"
	fi
	if [ ${#problems[@]} -gt 0 ]; then
		BAD=1
		nf=$((nf + 1))
		say "  [$id] ${problems[*]}"
	fi
	line="kernel $id ($v): $np passed, $nf failed, $ns skipped (${secs} s)"
	[ "$nexpected" -gt 0 ] && line+=" [$nexpected expected-warning section(s) excluded from the dmesg check]"
	say "== $line"
	grep '^# ' <<< "$body" | sed "s/^/  [$id] /" >&2 || true
	# The debug kernel's gcov counters (98-gcov): the module's line coverage.
	if grep -q '^=== GCDA-BEGIN' "$kw/serial.log"; then
		"$HERE/debug/coverage.sh" "$kw" 2>&1 | sed "s/^/  [$id] coverage: /" >&2 || true
	fi
	SUMMARY+=("$line")
	TOTAL_PASS=$((TOTAL_PASS + np))
	TOTAL_FAIL=$((TOTAL_FAIL + nf))
	TOTAL_SKIP=$((TOTAL_SKIP + ns))
done

T_END=$(date +%s)
say "== times: roots+builds+initramfs $((T_BUILT - T_START)) s, guests $((T_END - T_BUILT)) s, total $((T_END - T_START)) s"
for l in "${SUMMARY[@]}"; do echo "$l"; done
echo "$TOTAL_PASS passed, $TOTAL_FAIL failed, $TOTAL_SKIP skipped"
[ "$TOTAL_FAIL" -eq 0 ] && [ "$BAD" -eq 0 ]
