#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Line coverage of kmod/*.c over a debug-kernel run (issue 19).
#
# Usage: vm/debug/coverage.sh KW
#   KW: the kernel's work directory of vm/run-tests.sh (vm/.work/KV), which
#   holds serial.log and kmod/ (the module as built, with its .gcno files).
# The scenario 98-gcov printed every .gcda of the module as base64; they are
# put beside the .gcno files and gcov (the kernel's compiler's) reads both.
# Prints one line per source file and a total; KW/coverage/FILE.c.gcov are
# gcov's annotated sources (uncovered lines marked #####).
set -euo pipefail
kw=${1:?usage: coverage.sh KW}
log=$kw/serial.log
km=$kw/kmod
[ -f "$log" ] && [ -d "$km" ] || { echo "coverage: no $log or $km" >&2; exit 2; }
grep -q '^=== GCDA-BEGIN' "$log" || { echo "coverage: no .gcda in $log (kernel without CONFIG_GCOV_KERNEL?)" >&2; exit 1; }

# Each section names the .gcda by its path on the guest, which is the
# build path of its object: keep the file name.
awk -v km="$km" '
	/^=== GCDA-BEGIN / { n = split($3, p, "/"); out = km "/" p[n] ".b64"; printf "" > out; next }
	/^=== GCDA-END/ { close(out); out = ""; next }
	out != "" { print >> out }
' "$log"
for b in "$km"/*.gcda.b64; do
	base64 -d < "$b" > "${b%.b64}"
	rm -f "$b"
done

mkdir -p "$kw/coverage"
cd "$kw/coverage"
total=0 hit=0
for c in "$km"/*.c; do
	n=$(basename "$c" .c)
	[ -f "$km/$n.gcda" ] || { printf '%-16s no counters (not loaded?)\n' "$n.c"; continue; }
	gcov -o "$km" "$c" > "$n.gcov.log" 2>&1 || { cat "$n.gcov.log" >&2; exit 1; }
	# Count this file's own lines only (its .gcov), not the headers'.
	read -r lines covered < <(awk -F: '
		$1 ~ /#####/ { l++ } $1 ~ /^ *[0-9]+\*?$/ { l++; c++ }
		END { print l + 0, c + 0 }' "$n.c.gcov")
	total=$((total + lines)) hit=$((hit + covered))
	printf '%-16s %5d of %5d lines  %5.1f %%\n' "$n.c" "$covered" "$lines" \
		"$(awk -v c="$covered" -v l="$lines" 'BEGIN { print l ? 100 * c / l : 0 }')"
done
printf '%-16s %5d of %5d lines  %5.1f %%\n' total "$hit" "$total" \
	"$(awk -v c="$hit" -v l="$total" 'BEGIN { print l ? 100 * c / l : 0 }')"
