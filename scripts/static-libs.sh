#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Static libraries the static `adopt` links that Debian ships only shared;
# prints the directory holding them (scripts/build.sh links with -L DIR).
#   libspng.a  libspng-dev has libspng.so alone. Built here from Debian's
#              own source package of the installed libspng-dev version,
#              fetched with `apt-get source` through a private deb-src list
#              and lists directory (the system's apt configuration is left
#              alone), spng/spng.c compiled as Debian's build does
#              (-Denable_opt=false: SPNG_DISABLE_OPT), with zlib1g-dev's
#              libz.a members added to the archive (a static link takes
#              libraries in an order SwiftPM decides: libspng.a brings its
#              zlib along). Nothing is vendored in the repository.
# (libyuv-dev and zlib1g-dev ship libyuv.a and libz.a; libdrm-dev libdrm.a;
# libsixel-dev libsixel.a, which needs libm alone.)
# Cached in $RFD_STATIC_LIBS (default .build-static in the repository,
# ignored by git) until the installed version changes. Needs dpkg-dev
# (dpkg-source) and the network the first time.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${RFD_STATIC_LIBS:-$PWD/.build-static}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
say() { echo "static-libs: $*" >&2; }

libdir=$(pkg-config --variable=libdir spng 2>/dev/null || echo /usr/lib/x86_64-linux-gnu)
version=$(dpkg-query -W -f='${source:Version}' libspng-dev 2>/dev/null) || { say "libspng-dev is not installed (scripts/deps.sh)"; exit 1; }
version="$version+zlib$(dpkg-query -W -f='${Version}' zlib1g-dev 2>/dev/null || echo -)"
if [ -e "$libdir/libspng.a" ]; then
	echo "$libdir"
	exit 0
fi
if [ -e "$dir/libspng.a" ] && [ "$(cat "$dir/libspng.version" 2>/dev/null)" = "$version" ]; then
	echo "$dir"
	exit 0
fi

say "building libspng.a ${version%%+zlib*} from Debian's source package (no libspng.a in libspng-dev)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/lists/partial" "$tmp/parts" "$tmp/cache/archives/partial" "$tmp/src"
# The system's sources as deb-src: deb822 files and one-line lists.
for f in /etc/apt/sources.list.d/*.sources; do
	[ -e "$f" ] && sed 's/^Types:.*\bdeb\b.*$/Types: deb-src/' "$f" > "$tmp/parts/$(basename "$f")"
done
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
	[ -e "$f" ] && sed -n 's/^deb \(.*\)$/deb-src \1/p' "$f" >> "$tmp/src.list"
done
touch "$tmp/src.list"
opts=(-o "Dir::Etc::SourceList=$tmp/src.list" -o "Dir::Etc::SourceParts=$tmp/parts"
	-o "Dir::State::Lists=$tmp/lists" -o "Dir::Cache=$tmp/cache" -o Debug::NoLocking=1
	-o APT::Sandbox::User=root)
apt-get "${opts[@]}" update -qq >&2
(cd "$tmp/src" && apt-get "${opts[@]}" source -qq "libspng=${version%%+zlib*}" >&2)
src=$(echo "$tmp"/src/libspng-*/spng)
[ -f "$src/spng.c" ] || { say "no spng/spng.c in Debian's source of libspng $version"; exit 1; }
gcc -std=c99 -O2 -fPIC -DSPNG_STATIC -DSPNG_DISABLE_OPT -c "$src/spng.c" -o "$tmp/spng.o"
mkdir "$tmp/z"
(cd "$tmp/z" && ar x "$libdir/libz.a")
rm -f "$dir/libspng.a"
ar rcs "$dir/libspng.a" "$tmp/spng.o" "$tmp"/z/*.o
echo "$version" > "$dir/libspng.version"
say "$dir/libspng.a built"
echo "$dir"
