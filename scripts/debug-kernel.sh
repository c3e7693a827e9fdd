#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the remotefd debug kernel (issue 11) from Debian's own source
# (bookworm's linux-source-6.12, built with the host's gcc-12): x86_64
# defconfig + kernel/configs/kvm_guest.config + vm/debug-kernel.config
# (KASAN, lockdep, DEBUG_ATOMIC_SLEEP, kmemleak, debugobjects, UBSAN, fault
# injection, hung-task/soft-lockup detectors, PROVE_RCU, PREEMPT_RT).
#
# Usage: scripts/debug-kernel.sh [--refresh] [--test [RUN-TESTS ARGS...]]
#   (no option)  build the kernel unless cached; print its staging dir
#   --refresh    rebuild even when cached
#   --test       then run the VM suite on it (vm/run-tests.sh debug); its
#                exit status is the script's
#   --rt-compare then boot it twice with vm/scenarios/80-capture.sh: the
#                capture code of commit 7bdce0c, then the current one, and
#                print the kernel's "sleeping function ..." / lockdep lines
#
# The result is cached in RFD_DEBUG_KERNEL_CACHE (default
# /var/cache/remotefd-vm/debug-kernel) under a key made of the source
# package's version and a hash of this script's config inputs; a new key
# builds a new tree.  Layout of CACHE/KEY:
#   linux-source-6.12/     the configured and built tree (make -C it M=...)
#   staging/boot/vmlinuz-KV, staging/lib/modules/KV/ (modules_install,
#                          build -> the tree): the "root" run-tests.sh uses
#   build.log, config-check.txt, .complete (KV, build seconds)
# CACHE/current points at the last complete KEY.
#
# Needs root (apt-get) the first time: linux-source-6.12 bc bison flex
# libelf-dev libssl-dev kmod cpio xz-utils gcc make; with --test or
# --rt-compare also qemu-system-x86 busybox-static gcc-multilib libc6-dev
# gzip zstd git.  Nothing else (no Swift, no other Debian suites).
# The build runs `nice -n 19 make -j${RFD_DEBUG_JOBS:-2}`: about 40-60 min
# on 2 shared cores (see vm/README.md, "Debug kernel").
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$HERE")
FRAG=$REPO/vm/debug-kernel.config
CACHE=${RFD_DEBUG_KERNEL_CACHE:-/var/cache/remotefd-vm/debug-kernel}
JOBS=${RFD_DEBUG_JOBS:-2}
SRCPKG=linux-source-6.12
TARBALL=/usr/src/$SRCPKG.tar.xz

say() { printf 'debug-kernel: %s\n' "$*" >&2; }
die() { say "$*"; exit 2; }

refresh=0 test=0 rtcmp=0
test_args=()
while [ $# -gt 0 ]; do
	case "$1" in
	--refresh) refresh=1 ;;
	--test) test=1; shift; test_args=("$@"); break ;;
	--rt-compare) rtcmp=1 ;;
	-h|--help) sed -n '3,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument $1 (--help)" ;;
	esac
	shift
done

# ---- dependencies -----------------------------------------------------------
pkgs=()
dpkg-query -W -f='${Status}' "$SRCPKG" 2>/dev/null | grep -q "install ok installed" && [ -f "$TARBALL" ] ||
	pkgs+=("$SRCPKG")
need_pkgs=(bc bison flex libelf-dev libssl-dev kmod cpio xz-utils gcc make)
# booting it (vm/run-tests.sh): qemu, a static busybox, static and 32-bit glibc
if [ "$test" = 1 ] || [ "$rtcmp" = 1 ]; then
	need_pkgs+=(qemu-system-x86 busybox-static gcc-multilib libc6-dev gzip zstd git)
fi
for p in "${need_pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || pkgs+=("$p")
done
if [ ${#pkgs[@]} -gt 0 ]; then
	[ "$(id -u)" = 0 ] || die "missing Debian packages: ${pkgs[*]} (run as root to install them)"
	say "installing ${pkgs[*]}"
	apt-get update -qq >/dev/null 2>&1 || true
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null ||
		die "apt-get install ${pkgs[*]} failed"
fi
[ -f "$TARBALL" ] || die "$TARBALL missing after installing $SRCPKG"

# ---- cache key --------------------------------------------------------------
srcver=$(dpkg-query -W -f='${Version}' "$SRCPKG")
# The key covers what decides the kernel: source version, the fragment,
# the config steps below (this script's CONFIG_STEPS line) and gcc.
CONFIG_STEPS="x86_64_defconfig kvm_guest.config vm/debug-kernel.config"
hash=$( { cat "$FRAG"; echo "$CONFIG_STEPS"; gcc -dumpfullversion; } | sha256sum | cut -c1-12)
KEY="$(echo "$srcver" | tr '~:+' '___')-$hash"
DIR=$CACHE/$KEY

if [ "$refresh" = 1 ] || [ ! -f "$DIR/.complete" ]; then
	rm -rf "${DIR:?}"
	mkdir -p "$DIR"
	say "building $SRCPKG $srcver (key $KEY) in $DIR"
	t0=$(date +%s)
	tar -xJf "$TARBALL" -C "$DIR"
	SRC=$DIR/$SRCPKG
	[ -f "$SRC/Makefile" ] || die "unexpected layout of $TARBALL (no $SRCPKG/Makefile)"
	cd "$SRC"
	{
		make x86_64_defconfig
		scripts/kconfig/merge_config.sh -m .config kernel/configs/kvm_guest.config "$FRAG"
		make olddefconfig
	} > "$DIR/config.log" 2>&1 || { cat "$DIR/config.log" >&2; die "configuring failed"; }

	# Every line of the fragment must have stuck.
	bad=0
	{
		printf '%-42s %-14s %s\n' OPTION WANTED GOT
		while IFS= read -r l; do
			case "$l" in
			CONFIG_*=*) o=${l%%=*}; want=${l#*=} ;;
			'# CONFIG_'*' is not set') o=${l#\# }; o=${o%% *}; want=n ;;
			*) continue ;;
			esac
			got=$(grep -E "^$o=" .config | head -n1 | cut -d= -f2- || true)
			[ -n "$got" ] || got=n
			mark=ok
			[ "$got" = "$want" ] || { mark=MISMATCH; bad=1; }
			printf '%-42s %-14s %-14s %s\n' "$o" "$want" "$got" "$mark"
		done < "$FRAG"
	} > "$DIR/config-check.txt"
	cat "$DIR/config-check.txt" >&2
	[ "$bad" = 0 ] || die "options above did not stick in $SRC/.config"

	say "configured in $(($(date +%s) - t0)) s; building bzImage + modules (nice -n 19 make -j$JOBS; log $DIR/build.log)"
	tb=$(date +%s)
	nice -n 19 make -j"$JOBS" bzImage modules > "$DIR/build.log" 2>&1 ||
		{ tail -n 40 "$DIR/build.log" >&2; die "kernel build failed ($DIR/build.log)"; }
	te=$(date +%s)
	KV=$(make -s kernelrelease)
	make -s modules_install INSTALL_MOD_PATH="$DIR/staging" > "$DIR/modules_install.log" 2>&1 ||
		{ cat "$DIR/modules_install.log" >&2; die "modules_install failed"; }
	mkdir -p "$DIR/staging/boot"
	cp arch/x86/boot/bzImage "$DIR/staging/boot/vmlinuz-$KV"
	ln -sfn "$SRC" "$DIR/staging/lib/modules/$KV/build"
	rm -f "$DIR/staging/lib/modules/$KV/source"
	cat > "$DIR/.complete" <<-EOF
	kernelrelease: $KV
	source: $SRCPKG $srcver
	key: $KEY
	build-seconds: $((te - tb))
	total-seconds: $(($(date +%s) - t0))
	jobs: $JOBS
	built: $(date -u +%Y-%m-%dT%H:%M:%SZ)
	EOF
	say "built $KV: make took $((te - tb)) s, everything $(($(date +%s) - t0)) s"
else
	say "cached: $DIR ($(grep kernelrelease "$DIR/.complete"), $(grep build-seconds "$DIR/.complete"))"
fi
ln -sfn "$KEY" "$CACHE/current"
echo "$DIR/staging"

export RFD_DEBUG_KERNEL_DIR=$DIR/staging
if [ "$rtcmp" = 1 ]; then
	"$REPO/vm/debug-rt-compare.sh" || exit $?
fi
if [ "$test" = 1 ]; then
	exec "$REPO/vm/run-tests.sh" debug "${test_args[@]}"
fi
