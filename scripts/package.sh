#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the Debian packages into dist/ with debhelper, then runs lintian:
#   dist/adopt_VERSION_ARCH.deb          the static CLI, man pages, bash/zsh/fish
#                                        completions, the samples as examples
#   dist/remotefd-dkms_VERSION_all.deb   module source + dkms.conf (dh_dkms),
#                                        udev rule, modprobe.d file, remotefd(4)
#   dist/lintian.txt                     lintian's output (the tags left are
#                                        overridden, each explained, in
#                                        debian/*.lintian-overrides)
# The version is debian/changelog's. Needs Swift 6 on PATH (not a Debian
# package; the CLI is linked statically, so the packages do not need it) and,
# as root, installs the Debian build dependencies it misses (debhelper,
# dh-dkms, libdrm-dev, libspng-dev, libyuv-dev, libsixel-dev, zlib1g-dev,
# pkgconf, lintian;
# libspng.a is built from Debian's source package by scripts/static-libs.sh).
#
# Usage: scripts/package.sh [--no-lintian]
# Environment: SWIFT_SCRATCH  Swift build directory (default .build)
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '%s\n' "$*" >&2; }

lint=1
[ "${1:-}" = --no-lintian ] && lint=0
command -v swift >/dev/null || { say "package: swift (6.x) must be on PATH"; exit 2; }

need=()
for p in debhelper dh-dkms libdrm-dev libspng-dev libyuv-dev libsixel-dev zlib1g-dev pkgconf lintian dpkg-dev; do
	dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q "ok installed" || need+=("$p")
done
if ((${#need[@]})); then
	[ "$(id -u)" = 0 ] || { say "package: missing Debian packages: ${need[*]}"; exit 2; }
	say "package: installing ${need[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null ||
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; }
fi
dpkg-checkbuilddeps

version=$(dpkg-parsechangelog -S Version)
mkdir -p dist
rm -f dist/adopt_*.deb dist/remotefd-dkms_*.deb dist/lintian.txt
say "package: building $version"
root=()
[ "$(id -u)" = 0 ] || root=(fakeroot)
debian/rules clean
DEB_DESTDIR=dist SWIFT_SCRATCH=${SWIFT_SCRATCH:-.build} debian/rules build
DEB_DESTDIR=dist SWIFT_SCRATCH=${SWIFT_SCRATCH:-.build} "${root[@]}" debian/rules binary

debs=(dist/adopt_"$version"_*.deb dist/remotefd-dkms_"$version"_all.deb)
ls -l "${debs[@]}"
# The executable must not need Swift (nor anything else) at run time.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dpkg-deb -x "${debs[0]}" "$tmp"
if ldd "$tmp/usr/bin/adopt" >/dev/null 2>&1; then
	say "package: usr/bin/adopt is dynamically linked:"; ldd "$tmp/usr/bin/adopt" >&2; exit 1
fi
say "package: usr/bin/adopt: $(file -b "$tmp/usr/bin/adopt" | cut -d, -f1-2), ldd: not a dynamic executable"

if ((lint)); then
	say "package: lintian"
	lintian --info --display-info --pedantic "${debs[@]}" 2>&1 | tee dist/lintian.txt || true
	[ -s dist/lintian.txt ] || echo "(no tags)" > dist/lintian.txt
fi
say "package: done: ${debs[*]}"
