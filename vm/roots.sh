#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Builds the Debian chroots ("roots") that hold the VM suite's non-host
# kernels: their image, headers and the gcc that built them (vm/kernels.conf
# says which suite has which packages).  One root per suite, made with
# `mmdebstrap --variant=apt`, cached outside the repository and reused.
#
# Usage: vm/roots.sh [--refresh] [SUITE...]    (default: every suite in
#        vm/kernels.conf other than the host's "/")
#   --refresh   rebuild even when a cached root is present (to pick up new
#               point releases of the kernels)
#
# Environment:
#   RFD_ROOTS   cache directory (default /var/cache/remotefd-vm/roots); the
#               root of SUITE is RFD_ROOTS/SUITE, its build log SUITE.log
#   RFD_MIRROR  Debian mirror (default: mmdebstrap's, deb.debian.org)
#
# A root is built in a temporary directory and renamed into place only when
# complete, with a stamp file (.remotefd-root) listing its packages: a root
# without the stamp, or with another package list, is never used.  Suites
# are built in parallel (the work is mostly downloading).
# Exit status: 0 every asked-for root is ready; 1 one or more could not be
# built (each is named on stderr: its kernels will be NOT RUN); 2 usage or
# missing tools.  Needs root (chroot) and mmdebstrap.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CONF=$HERE/kernels.conf
ROOTS=${RFD_ROOTS:-/var/cache/remotefd-vm/roots}
COMMON="make libc6-dev kmod xz-utils zstd"

say() { printf '%s\n' "$*" >&2; }

refresh=0
suites=()
for a in "$@"; do
	case "$a" in
	--refresh) refresh=1 ;;
	-h|--help) sed -n '3,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	-*) say "roots: unknown option $a"; exit 2 ;;
	*) suites+=("$a") ;;
	esac
done

# packages SUITE: the sorted package list of SUITE's root
packages() {
	awk -v s="$1" -v common="$COMMON" '
		/^[ \t]*(#|$)/ { next }
		$2 == s { for (i = 4; i <= NF; i++) p[$i] = 1 }
		END { n = split(common, c, " "); for (i = 1; i <= n; i++) p[c[i]] = 1
		      for (k in p) print k }' "$CONF" | sort | tr '\n' ' ' | sed 's/ $//'
}

if [ ${#suites[@]} -eq 0 ]; then
	mapfile -t suites < <(awk '!/^[ \t]*(#|$)/ && $2 != "/" && !seen[$2]++ { print $2 }' "$CONF")
fi
for s in "${suites[@]}"; do
	grep -qE "^[^#[:space:]]+[[:space:]]+$s[[:space:]]" "$CONF" ||
		{ say "roots: suite $s is not in $CONF"; exit 2; }
done

command -v mmdebstrap >/dev/null ||
	{ say "roots: mmdebstrap missing (Debian package mmdebstrap; scripts/deps.sh --vm)"; exit 2; }
[ "$(id -u)" = 0 ] || { say "roots: must run as root (chroot)"; exit 2; }
mkdir -p "$ROOTS" || exit 2

# remove_tree DIR: undo mounts left by an interrupted mmdebstrap, then remove
remove_tree() {
	local d=$1 m
	[ -e "$d" ] || return 0
	for m in $(awk -v d="$d/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r); do
		umount -l "$m" 2>/dev/null
	done
	rm -rf --one-file-system "$d"
}

# Leftovers of interrupted builds (their builder is gone).
for t in "$ROOTS"/.tmp-*; do
	[ -e "$t" ] || continue
	pid=${t##*.}
	kill -0 "$pid" 2>/dev/null && continue
	say "roots: removing the unfinished build $t"
	remove_tree "$t"
done

# build SUITE: (re)build ROOTS/SUITE atomically; logs to ROOTS/SUITE.log
build() {
	local suite=$1 pkgs tmp t0 t1 mirror=()
	pkgs=$(packages "$suite")
	tmp="$ROOTS/.tmp-$suite.$BASHPID"
	[ -n "${RFD_MIRROR:-}" ] && mirror=("$RFD_MIRROR")
	t0=$(date +%s)
	# update-initramfs is diverted to true: the suite boots its own
	# initramfs, not Debian's, and generating one per kernel costs time.
	# The Release files of sid (and, in time, the others) may be expired
	# on the mirror: do not check Valid-Until.
	mmdebstrap --variant=apt --mode=root \
		--aptopt='Acquire::Check-Valid-Until "false"' \
		--aptopt='APT::Install-Recommends "false"' \
		--include="${pkgs// /,}" \
		--essential-hook='chroot "$1" dpkg-divert --quiet --local --rename --add /usr/sbin/update-initramfs && ln -sf /bin/true "$1/usr/sbin/update-initramfs"' \
		--customize-hook='du -sb "$1/var/cache/apt/archives" | cut -f1 > "$1/.remotefd-download-bytes"' \
		"$suite" "$tmp" "${mirror[@]}" > "$ROOTS/$suite.log" 2>&1 &
	local mp=$!
	# Interrupted: mmdebstrap cleans up after SIGTERM; wait for it.
	trap 'kill -TERM $mp 2>/dev/null' INT TERM
	if ! wait $mp; then
		wait $mp 2>/dev/null
		remove_tree "$tmp"
		return 1
	fi
	trap - INT TERM
	t1=$(date +%s)
	{
		echo "suite: $suite"
		echo "packages: $pkgs"
		echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ) in $((t1 - t0)) s"
		echo "download-bytes: $(cat "$tmp/.remotefd-download-bytes" 2>/dev/null || echo unknown)"
		echo "kernels: $(ls "$tmp/lib/modules" | tr '\n' ' ')"
	} > "$tmp/.remotefd-root"
	# Swap in: the old root (if any) is removed only after the new one is
	# in place under its name.
	if [ -e "$ROOTS/$suite" ]; then
		mv "$ROOTS/$suite" "$tmp.old" && mv "$tmp" "$ROOTS/$suite" || return 1
		remove_tree "$tmp.old"
	else
		mv "$tmp" "$ROOTS/$suite" || return 1
	fi
}

todo=()
for s in "${suites[@]}"; do
	stamp="$ROOTS/$s/.remotefd-root"
	if [ "$refresh" = 0 ] && [ -f "$stamp" ] &&
	   grep -qxF "packages: $(packages "$s")" "$stamp"; then
		say "roots: $s: cached ($(grep '^kernels:' "$stamp"))"
		continue
	fi
	todo+=("$s")
done

rc=0
declare -A pids
trap 'trap - INT TERM; kill -TERM "${pids[@]}" 2>/dev/null; wait; exit 130' INT TERM
for s in "${todo[@]}"; do
	say "roots: $s: building with mmdebstrap (log: $ROOTS/$s.log)"
	build "$s" &
	pids[$s]=$!
done
for s in "${todo[@]}"; do
	if wait "${pids[$s]}"; then
		st="$ROOTS/$s/.remotefd-root"
		b=$(sed -n 's/^download-bytes: //p' "$st")
		case "$b" in *[!0-9]*|'') mb=? ;; *) mb=$((b / 1000000)) ;; esac
		say "roots: $s: $(sed -n 's/^built: .* in //p' "$st"), downloaded $mb MB; $(grep '^kernels:' "$st")"
	else
		rc=1
		say "roots: $s: FAILED (its kernels will be NOT RUN); last lines of $ROOTS/$s.log:"
		tail -n 15 "$ROOTS/$s.log" | sed 's/^/    /' >&2
	fi
done
exit $rc
