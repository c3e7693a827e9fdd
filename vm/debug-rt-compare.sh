#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Issue 10, item 4 (PREEMPT_RT) shown on the debug kernel (PREEMPT_RT +
# DEBUG_ATOMIC_SLEEP + PROVE_LOCKING; scripts/debug-kernel.sh): boots it
# twice with vm/scenarios/80-capture.sh only: first with the capture code of
# an old commit (default 7bdce0c: spinlock_t, GFP_ATOMIC and iterate_fd in
# the sched_process_exit hook), then with the current kmod/.  Prints, for
# each, the kernel's "sleeping function called from invalid context",
# "Invalid wait context", lockdep and other BUG/WARNING lines, and the first
# report in full.  Expected: the old code splats, the current one is clean.
#
# Usage: vm/debug-rt-compare.sh [COMMIT]
# Environment: RFD_DEBUG_KERNEL_DIR (the staging dir, default the cache's
# current one), RFD_WORK (default vm/.work; two subdirectories rt-old and
# rt-current are used).  Exit status: 0 when old splats and current does not.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$HERE")
OLD=${1:-7bdce0c}
WORK=${RFD_WORK:-$HERE/.work}
RE='sleeping function called from invalid context|Invalid wait context|BUG:|WARNING:|possible recursive locking|circular locking|scheduling while atomic|KASAN|UBSAN'

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for f in $(git -C "$REPO" ls-tree -r --name-only "$OLD" kmod/); do
	mkdir -p "$tmp/$(dirname "$f")"
	git -C "$REPO" show "$OLD:$f" > "$tmp/$f"
done

verdict=0
for which in old current; do
	w=$WORK/rt-$which
	mkdir -p "$w"
	km=$REPO/kmod
	[ $which = old ] && km=$tmp/kmod
	echo "== $which module ($([ $which = old ] && echo "commit $OLD" || echo "working tree kmod/")): vm/scenarios/80-capture.sh on the debug kernel"
	RFD_WORK=$w RFD_KMOD_DIR=$km RFD_ONLY=80 "$HERE/run-tests.sh" debug > "$w/run.log" 2>&1
	echo "   run-tests: $(tail -n 1 "$w/run.log")"
	log=$(ls "$w"/*-rfd-debug/serial.log 2>/dev/null | head -n 1)
	if [ -z "$log" ]; then
		echo "   no serial log (see $w/run.log)"
		verdict=1
		continue
	fi
	n=$(grep -cE "$RE" "$log")
	nsleep=$(grep -c 'sleeping function called from invalid context' "$log")
	echo "   kernel report lines: $n ('sleeping function called from invalid context': $nsleep); log $log"
	grep -E "$RE" "$log" | sort | uniq -c | sort -rn | head -n 12 | sed 's/^/     /'
	first=$(grep -nE 'BUG: sleeping function|BUG: Invalid wait|WARNING:' "$log" | head -n 1 | cut -d: -f1)
	if [ -n "$first" ]; then
		echo "   first report:"
		sed -n "$((first > 2 ? first - 2 : 1)),$((first + 45))p" "$log" | sed 's/^/     | /'
	fi
	if [ $which = old ] && [ "$nsleep" -eq 0 ]; then verdict=1; fi
	if [ $which = current ] && [ "$n" -ne 0 ]; then verdict=1; fi
done
[ $verdict = 0 ] && echo "== as expected: the old capture code splats on PREEMPT_RT, the current one does not" ||
	echo "== NOT as expected (see above)"
exit $verdict
