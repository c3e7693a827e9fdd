#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Install test of the Debian packages (scripts/package.sh) in a clean
# bookworm root, then the module DKMS built, booted in the VM suite.
#
#   1. A minimal bookworm root (mmdebstrap --variant=apt) with dkms, the
#      headers of the host's 6.1 kernel (the VM suite's 6.1 guest), man-db
#      and python3: cached in RFD_ROOTS/install-test-bookworm (built once,
#      like vm/roots.sh's roots); each run works on a fresh copy.
#   2. apt-get install ./dist/adopt_*.deb ./dist/remotefd-dkms_*.deb in it,
#      then: adopt --version, man -w adopt (and remotefd(4)), the bash, zsh
#      and fish completion files, `dkms status` showing remotefd installed
#      for the 6.1 headers, and the installed adopt adopting a memfd from a
#      python3 producer (pidfd, /proc mounted in the root).
#   3. The .ko DKMS built, booted in the 6.1 guest of vm/run-tests.sh
#      (RFD_PREBUILT_KO; scenario 10: loaded with legacy_proc=1, GETFD by
#      pid and pidfd, /proc/remotefd from an unmodified original-ABI client).
#   4. apt-get purge of both: every file they brought is gone (the root's
#      file list equals the one before the install, apt's and dpkg's own
#      state aside).
# Prints PASS/FAIL lines and, last, "N passed, N failed".
#
# Usage: scripts/install-test.sh [--no-vm]     (root; run scripts/package.sh first)
# Environment: RFD_ROOTS (default /var/cache/remotefd-vm/roots), RFD_MIRROR
#
# Time (measured, 2 cores shared with other qemu jobs): the cached root's
# first build 149 s (download); then a run 86–228 s depending on the load,
# of which ≈ 32 s is the 6.1 guest. Not in scripts/test.sh: it needs the
# packages built first (scripts/package.sh, ≈ 1 min with a warm Swift build
# directory, ≈ 4–5 min from a clean clone) and would add 5–10 min to a test
# command already at 15+ on a fresh machine, against CI's 30: a documented
# command of its own (README, "Debian packages").
set -uo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
ROOTS=${RFD_ROOTS:-/var/cache/remotefd-vm/roots}
say() { printf '%s\n' "$*" >&2; }
vm=1
[ "${1:-}" = --no-vm ] && vm=0
[ "$(id -u)" = 0 ] || { say "install-test: must run as root (chroot)"; exit 2; }
command -v mmdebstrap >/dev/null || { say "install-test: mmdebstrap missing (scripts/deps.sh --vm)"; exit 2; }

version=$(dpkg-parsechangelog -S Version)
debs=(dist/adopt_"$version"_amd64.deb dist/remotefd-dkms_"$version"_all.deb)
for d in "${debs[@]}"; do [ -f "$d" ] || { say "install-test: $d missing: run scripts/package.sh"; exit 2; }; done

# The VM suite's 6.1 kernel: the host's (vm/kernels.conf, root "/").
glob=$(awk '$1 == "6.1" { print $3 }' vm/kernels.conf)
kv=$(cd /boot && ls -d vmlinuz-$glob 2>/dev/null | sed 's/^vmlinuz-//' | sort -V | tail -n 1)
[ -n "$kv" ] || { say "install-test: no 6.1 kernel in /boot (scripts/deps.sh --vm)"; exit 2; }

pass=0 fail=0
PASS() { say "PASS $*"; pass=$((pass + 1)); }
FAIL() { say "FAIL $*"; fail=$((fail + 1)); }
check() { local what=$1; shift; if "$@"; then PASS "$what"; else FAIL "$what"; fi; }

# ---- 1. the cached root --------------------------------------------------
base=$ROOTS/install-test-bookworm
pkgs="dkms linux-headers-$kv man-db python3 ca-certificates"
stamp=$base/.remotefd-root
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$pkgs" ]; then
	say "== building the bookworm root ($pkgs)"
	mkdir -p "$ROOTS"
	tmp=$ROOTS/.tmp-install-test.$$
	rm -rf "$tmp"
	t0=$(date +%s)
	if ! mmdebstrap --variant=apt --include="${pkgs// /,}" ${RFD_MIRROR:+--mirror "$RFD_MIRROR"} \
		bookworm "$tmp" > "$ROOTS/install-test-bookworm.log" 2>&1; then
		tail -20 "$ROOTS/install-test-bookworm.log" >&2
		rm -rf --one-file-system "$tmp"
		say "install-test: the root could not be built"; exit 2
	fi
	echo "$pkgs" > "$tmp/.remotefd-root"
	rm -rf --one-file-system "$base"
	mv "$tmp" "$base"
	say "== root built in $(($(date +%s) - t0)) s"
fi

work=$(mktemp -d /var/tmp/remotefd-install-test.XXXXXX)
root=$work/root
mounted=()
cleanup() {
	local m
	for m in $(awk -v d="$root/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r); do umount -l "$m"; done
	[ -n "${producer:-}" ] && kill "$producer" 2>/dev/null
	rm -rf --one-file-system "$work"
}
trap cleanup EXIT
t0=$(date +%s)
cp -a "$base" "$root"
mount -t proc proc "$root/proc"
mount --bind /dev "$root/dev"
mount -t sysfs sysfs "$root/sys"
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"; }
# What is there before the install, apt's and dpkg's state aside.
listing() {
	(cd "$root" && find . -xdev \( -path ./var/lib/dpkg -o -path ./var/lib/apt -o -path ./var/cache \
		-o -path ./var/log -o -path ./tmp -o -path ./proc -o -path ./sys -o -path ./dev \
		-o -path ./var/lib/dkms -o -path ./etc/ld.so.cache -o -path ./var/lib/man-db \) -prune -o -print | sort)
	# dkms's own tree must hold nothing of remotefd afterwards
	ls "$root/var/lib/dkms" 2>/dev/null | sed 's|^|var/lib/dkms/|'
}
listing > "$work/before"

# ---- 2. install and checks -----------------------------------------------
cp "${debs[@]}" "$root/tmp/"
say "== apt-get install ./adopt_${version}_amd64.deb ./remotefd-dkms_${version}_all.deb (kernel headers $kv)"
if in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
	"./tmp/$(basename "${debs[0]}")" "./tmp/$(basename "${debs[1]}")" > "$work/install.log" 2>&1 </dev/null; then
	PASS "apt-get install ./adopt ./remotefd-dkms"
else
	FAIL "apt-get install: $(tail -5 "$work/install.log")"
fi
sed -n '/Building module/,/^DKMS: install completed/p; /dkms/Ip' "$work/install.log" | sort -u | head -12 | sed 's/^/  /' >&2

out=$(in_root adopt --version 2>&1)
say "$(sed 's/^/  | /' <<< "$out")"
check "adopt --version: $(head -1 <<< "$out")" grep -qx "adopt $version" <<< "$out"
check "adopt is static (ldd: not a dynamic executable)" sh -c "! ldd '$root/usr/bin/adopt' >/dev/null 2>&1"
out=$(in_root man -w adopt 2>&1)
check "man -w adopt: $out" test "$out" = /usr/share/man/man1/adopt.1.gz
out=$(in_root man -w adopt.list 2>&1)
check "man -w adopt.list: $out" test "$out" = /usr/share/man/man1/adopt.list.1.gz
out=$(in_root man -w 4 remotefd 2>&1)
check "man -w 4 remotefd: $out" test "$out" = /usr/share/man/man4/remotefd.4.gz
for f in /usr/share/bash-completion/completions/adopt /usr/share/zsh/vendor-completions/_adopt \
	/usr/share/fish/vendor_completions.d/adopt.fish; do
	check "completion $f" test -s "$root$f"
done
check "bash completion loads and completes 'adopt li' to list" \
	sh -c "[ -x '$root/bin/bash' ] && chroot '$root' /bin/bash -c '. /usr/share/bash-completion/completions/adopt; COMP_WORDS=(adopt li); COMP_CWORD=1; _adopt 2>/dev/null || \$(complete -p adopt | sed \"s/.*-F \\([^ ]*\\).*/\\1/\"); printf \"%s\\n\" \"\${COMPREPLY[@]}\"' | grep -qx list"
out=$(in_root dkms status 2>&1)
say "  | dkms status: $out"
check "dkms status: remotefd/$version built and installed for $kv" grep -q "remotefd/$version, $kv, x86_64: installed" <<< "$out"
ko=$(ls "$root/lib/modules/$kv/updates/dkms/"remotefd.ko* 2>/dev/null | head -1)
check "the module is in /lib/modules/$kv/updates/dkms ($(basename "${ko:-none}"))" test -n "$ko"
check "modinfo: version $version, vermagic $kv" sh -c "modinfo -F version '$ko' | grep -qx '$version' && modinfo -F vermagic '$ko' | grep -q '^$kv '"
check "udev rule and modprobe.d file installed" test -s "$root/lib/udev/rules.d/60-remotefd.rules" -a -s "$root/etc/modprobe.d/remotefd.conf"

# the installed adopt adopts a memfd from a python3 producer (pidfd)
cat > "$root/tmp/producer.py" <<'PY'
import os, sys, time
fd = os.memfd_create("installtest", 0)
os.write(fd, b"adopted-from-python " * 1000)
print(os.getpid(), fd, flush=True)
time.sleep(60)
PY
in_root python3 /tmp/producer.py > "$work/producer.out" &
producer=$!
for _ in $(seq 100); do [ -s "$work/producer.out" ] && break; sleep 0.1; done
read -r ppid pfd < "$work/producer.out"
out=$(in_root adopt --via pidfd "$ppid" "$pfd" 2>&1)
say "$(sed -n '1,8p' <<< "$out" | sed 's/^/  | /')"
check "installed adopt adopts the python3 producer's memfd (pidfd)" \
	bash -c 'grep -q "^type: *memfd" <<< "$1" && grep -q "^via: *pidfd" <<< "$1" && grep -q "^name: *installtest" <<< "$1" && grep -q "|adopted-from-pyt" <<< "$1"' sh "$out"
kill "$producer" 2>/dev/null; wait "$producer" 2>/dev/null; producer=

# ---- 3. the DKMS-built module in the VM suite's 6.1 guest ------------------
if ((vm)) && [ -n "$ko" ]; then
	cp "$ko" "$work/remotefd.ko${ko##*.ko}"
	kof=$work/remotefd.ko
	case "$ko" in *.xz) xz -dc "$ko" > "$kof" ;; *.zst) zstd -qdc "$ko" > "$kof" ;; *) cp "$ko" "$kof" ;; esac
	say "== vm/run-tests.sh 6.1 with the module DKMS built (RFD_PREBUILT_KO, scenario 10)"
	t1=$(date +%s)
	RFD_PREBUILT_KO=$kof RFD_ONLY=10 RFD_WORK=$work/vm vm/run-tests.sh 6.1 > "$work/vm.log" 2>&1
	rc=$?
	grep -E "prebuilt|^ *(PASS|FAIL)|passed, .* failed|NOT RUN" "$work/vm.log" | sed 's/^/  | /' >&2
	check "6.1 guest: the DKMS-built module loads (legacy_proc=1) and serves GETFD and /proc/remotefd ($(($(date +%s) - t1)) s)" \
		sh -c "[ $rc = 0 ] && grep -q 'loads the prebuilt' '$work/vm.log' && grep -q ' 0 failed' '$work/vm.log'"
fi

# ---- 4. purge ------------------------------------------------------------
if in_root env DEBIAN_FRONTEND=noninteractive apt-get purge -y adopt remotefd-dkms > "$work/purge.log" 2>&1 </dev/null; then
	PASS "apt-get purge adopt remotefd-dkms"
else
	FAIL "apt-get purge: $(tail -5 "$work/purge.log")"
fi
listing > "$work/after"
# Not the packages' files, and rightly kept: depmod's indexes of the kernel
# tree (a linux-image package owns and removes them; the root has headers
# only) and the signing key dkms makes on its first build
# (/var/lib/dkms/mok.*, dkms's own, shared by every DKMS module).
generated='((\./)?(usr/)?lib/modules/[^/]+/modules\.[a-z.]+|var/lib/dkms/mok\.(key|pub))'
kept=$(diff "$work/before" "$work/after" | sed -n 's/^> //p' | grep -E "^$generated\$" | tr '\n' ' ')
[ -n "$kept" ] && say "  | kept (not the packages' files): $kept"
left=$(diff "$work/before" "$work/after" | grep -E '^[<>] ' | grep -vE "^> $generated\$")
check "purge leaves nothing of what the packages installed${left:+: $(tr '\n' ' ' <<< "$left")}" test -z "$left"
check "dkms status is empty after the purge" test -z "$(in_root dkms status 2>&1)"

say "== install test: $(($(date +%s) - t0)) s after the root"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
