#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Man pages of the CLI, from its parser: swift-argument-parser's
# generate-manual (the tool behind `swift package plugin generate-manual`),
# run on the built `adopt`: adopt.1 and one page per subcommand
# (adopt.list.1, adopt.keeper.get.1, …).
#
# Usage: scripts/manpages.sh ADOPT OUTDIR   (debian/rules runs it)
#
# Why the tool and not the plugin: the plugin builds every product of the
# package in release mode without the static flags of scripts/build.sh, into
# the same build directory, replacing the static `adopt` with a dynamic one
# (observed); the tool is built here with scripts/build.sh's flags instead.
# The date is the changelog's (SOURCE_DATE_EPOCH when dpkg set it).
set -euo pipefail
cd "$(dirname "$0")/.."
adopt=$1 out=$2
scratch=$(dirname "$(dirname "$adopt")")
scripts/build.sh --scratch-path "$scratch" --product generate-manual >&2
epoch=${SOURCE_DATE_EPOCH:-$(dpkg-parsechangelog -S Timestamp 2>/dev/null || date +%s)}
mkdir -p "$out"
"$scratch/release/generate-manual" "$adopt" --multi-page --section 1 \
	--date "$(date -u -d "@$epoch" +%Y-%m-%d)" --authors "remotefd maintainers" \
	--output-directory "$out"
# Two mechanical fixes for man-db and groff (lintian: bad-whatis-entry,
# groff-message): a subcommand page's NAME is its file's name
# ("adopt.keeper.get", which whatis can index; "adopt keeper get" has
# spaces), its synopsis still says "adopt keeper get"; a blank line in the
# help text is a paragraph break (.Pp).
for page in "$out"/*.1; do
	name=$(basename "$page" .1)
	spaced=${name//./ }
	sed -i -e 's/^$/.Pp/' "$page"
	[ "$name" = adopt ] && continue
	sed -i -e "0,/^\.Nm \"$spaced\"\$/s//.Nm $name/" -e "s/^\.Nm\$/.Nm \"$spaced\"/" "$page"
done
ls "$out"/*.1 >/dev/null
