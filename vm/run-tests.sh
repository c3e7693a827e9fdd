#!/usr/bin/env bash
# remotefd VM test suite: builds kmod/ for each Debian guest kernel, builds
# the C test helpers statically, packs a busybox initramfs per kernel, boots
# it under qemu (TCG, 1 vCPU) and collects PASS/FAIL lines from the serial
# console.  Prints per-kernel results and, last, "N passed, N failed".
# Exit status: 0 all passed; 1 a scenario failed, a kernel did not finish
# or dmesg shows BUG/WARNING/Oops/refcount/lockdep lines; 2 setup error.
#
# Usage: vm/run-tests.sh [6.1] [6.12]          (default: both)
#
# Debian packages needed (bookworm):
#   qemu-system-x86 busybox-static gcc gcc-multilib make libc6-dev cpio
#   gzip xz-utils linux-image-amd64 linux-headers-amd64
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
#                    dependencies come from modules.dep
#   RFD_STRESS_ITERS / RFD_STRESS_THREADS   stress size (50000 / 4)
#   RFD_ONLY         development: run only these scenario numbers ("10 40")
#   RFD_SCENARIO_DIR  take the scenarios from this directory instead of
#                    vm/scenarios (bench/vm-bench.sh: the benchmark only)
#   VM_TIMEOUT       seconds per kernel before the run counts as hung (900)
#   RFD_WORK         build directory (default vm/.work, gitignored)
#
# Unsigned out-of-tree modules taint the kernel ("module verification
# failed"): expected, not an error.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$HERE")
WORK=${RFD_WORK:-$HERE/.work}
VM_TIMEOUT=${VM_TIMEOUT:-900}
STRESS_ITERS=${RFD_STRESS_ITERS:-50000}
STRESS_THREADS=${RFD_STRESS_THREADS:-4}
ADOPT_BINS=${ADOPT_BINS:-"adopt memfd-producer shm-producer dmabuf-producer"}
SERIES=("$@")
[ ${#SERIES[@]} -eq 0 ] && SERIES=(6.1 6.12)

say() { printf '%s\n' "$*" >&2; }
die() { say "run-tests: $*"; exit 2; }

# ---- dependencies -----------------------------------------------------------
missing=()
need() { command -v "$1" >/dev/null 2>&1 || missing+=("$1 (Debian package $2)"); }
need qemu-system-x86_64 qemu-system-x86
need gcc gcc
need make make
need cpio cpio
need gzip gzip
need xz xz-utils
need ldd libc-bin
need timeout coreutils
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

# ---- kernels ----------------------------------------------------------------
KVERS=()
for s in "${SERIES[@]}"; do
	v=$(ls /lib/modules 2>/dev/null | grep -E "^${s//./\\.}\.[0-9]+" | sort -V | tail -n 1 || true)
	[ -n "$v" ] || die "no kernel $s.* in /lib/modules (install linux-image-$( [ "$s" = 6.1 ] && echo amd64 || echo $s-amd64))"
	[ -f "/boot/vmlinuz-$v" ] || die "missing /boot/vmlinuz-$v"
	[ -d "/usr/src/linux-headers-$v" ] || die "missing /usr/src/linux-headers-$v (install linux-headers-$( [ "$s" = 6.1 ] && echo amd64 || echo $s-amd64))"
	KVERS+=("$v")
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

# extra_modules VER ROOT: RFD_EXTRA_MODULES + dependencies, decompressed
extra_modules() {
	local ver=$1 root=$2 dep="/lib/modules/$1/modules.dep" m line path d seen=" "
	mkdir -p "$root/lib/modules/extra"
	: > "$root/lib/modules/extra/order"
	local mods
	mods="$(sed 's/#.*//' "$HERE/modules.list" 2>/dev/null || true) ${RFD_EXTRA_MODULES:-}"
	for m in $mods; do
		line=$(grep -E "/${m//-/[-_]}\.ko(\.xz|\.zst|\.gz)?:" "$dep" | head -n 1) ||
			die "module $m not found in $dep"
		# modules.dep lists dependencies so that the last loads first
		for path in $(echo "${line#*:}" | tr ' ' '\n' | tac) "${line%%:*}"; do
			[ -n "$path" ] || continue
			d=$(basename "$path"); d=${d%.xz}; d=${d%.zst}; d=${d%.gz}
			case "$seen" in *" $d "*) continue ;; esac
			seen="$seen$d "
			case "$path" in
			*.xz) xz -dc "/lib/modules/$ver/$path" > "$root/lib/modules/extra/$d" ;;
			*.zst) zstd -qdc "/lib/modules/$ver/$path" > "$root/lib/modules/extra/$d" ;;
			*.gz) gzip -dc "/lib/modules/$ver/$path" > "$root/lib/modules/extra/$d" ;;
			*) cp "/lib/modules/$ver/$path" "$root/lib/modules/extra/$d" ;;
			esac
			echo "$d" >> "$root/lib/modules/extra/order"
		done
	done
}

TOTAL_PASS=0
TOTAL_FAIL=0
BAD=0
SUMMARY=()

for v in "${KVERS[@]}"; do
	kw="$WORK/$v"
	rm -rf "$kw"
	mkdir -p "$kw/kmod"

	# ---- module ---------------------------------------------------------
	say "== $v: building remotefd.ko"
	cp -r "$REPO/kmod/Kbuild" "$REPO/kmod/Makefile" "$REPO/kmod/include" "$kw/kmod/"
	cp "$REPO"/kmod/*.c "$REPO"/kmod/*.h "$kw/kmod/"
	if ! make -s -C "$kw/kmod" KDIR="/usr/src/linux-headers-$v" > "$kw/build.log" 2>&1; then
		cat "$kw/build.log" >&2
		die "module build failed for $v"
	fi
	grep -i 'warning' "$kw/build.log" >&2 || true

	# ---- initramfs ------------------------------------------------------
	root="$kw/root"
	mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,etc,lib/modules,opt/rfd/bin,opt/rfd/payload,tests/scenarios}
	cp $BUSYBOX "$root/bin/busybox"
	cp "$HERE/guest/init" "$root/init"
	chmod 755 "$root/init"
	cp "$kw/kmod/remotefd.ko" "$root/lib/modules/remotefd.ko"
	cp "$WORK"/bin/* "$root/opt/rfd/bin/"
	cp "$HERE/guest/lib.sh" "$root/tests/lib.sh"
	for sc in "${RFD_SCENARIO_DIR:-$HERE/scenarios}"/*.sh; do
		if [ -n "${RFD_ONLY:-}" ]; then
			case " $RFD_ONLY " in *" $(basename "$sc" .sh | cut -d- -f1) "*) ;; *) continue ;; esac
		fi
		cp "$sc" "$root/tests/scenarios/"
	done
	[ -d "$HERE/scenarios/data" ] && cp -r "$HERE/scenarios/data" "$root/tests/"
	extra_modules "$v" "$root"
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

	# ---- boot -------------------------------------------------------------
	say "== $v: booting (qemu TCG, timeout ${VM_TIMEOUT}s)"
	t0=$(date +%s)
	set +e
	timeout "$VM_TIMEOUT" qemu-system-x86_64 -accel tcg -smp 1 -m 1024 \
		-nographic -no-reboot \
		-kernel "/boot/vmlinuz-$v" -initrd "$kw/initramfs.cpio.gz" \
		-append "console=ttyS0 panic=-1 quiet loglevel=3 rfd.stress_iters=$STRESS_ITERS rfd.stress_threads=$STRESS_THREADS" \
		< /dev/null > "$kw/serial.raw" 2>&1
	qrc=$?
	set -e
	t1=$(date +%s)
	tr -d '\r' < "$kw/serial.raw" > "$kw/serial.log"

	# ---- results ------------------------------------------------------------
	body=$(sed '/^=== DMESG BEGIN/,$d' "$kw/serial.log")
	dmesg_part=$(sed -n '/^=== DMESG BEGIN/,/^=== DMESG END/p' "$kw/serial.log")
	np=$(grep -c '^PASS ' <<< "$body" || true)
	nf=$(grep -c '^FAIL ' <<< "$body" || true)
	ns=$(grep -c '^SKIP ' <<< "$body" || true)
	grep -E '^(FAIL|SKIP) ' <<< "$body" | sed "s/^/  [$v] /" >&2 || true
	problems=()
	if ! grep -q '^=== SUITE DONE' "$kw/serial.log"; then
		problems+=("did not finish (qemu exit $qrc after $((t1 - t0))s; see $kw/serial.log)")
		dmesg_part=$(cat "$kw/serial.log")
	fi
	grep -q '=== BOOTED' "$kw/serial.log" || problems+=("did not boot")
	badlines=$(grep -aE 'BUG:|WARNING:|Oops|[Rr]efcount|lockdep|general protection|Call Trace|UBSAN|KASAN|circular locking|blocked for more than|MODLOAD-FAILED' <<< "$dmesg_part" || true)
	if [ -n "$badlines" ]; then
		problems+=("kernel log shows problems:")
		say "$badlines" | head -n 40
	fi
	if [ ${#problems[@]} -gt 0 ]; then
		BAD=1
		nf=$((nf + 1))
		say "  [$v] ${problems[*]}"
	fi
	line="kernel $v: $np passed, $nf failed, $ns skipped ($((t1 - t0)) s)"
	say "== $line"
	grep '^# ' <<< "$body" | sed "s/^/  [$v] /" >&2 || true
	SUMMARY+=("$line")
	TOTAL_PASS=$((TOTAL_PASS + np))
	TOTAL_FAIL=$((TOTAL_FAIL + nf))
done

for l in "${SUMMARY[@]}"; do echo "$l"; done
echo "$TOTAL_PASS passed, $TOTAL_FAIL failed"
[ "$TOTAL_FAIL" -eq 0 ] && [ "$BAD" -eq 0 ]
