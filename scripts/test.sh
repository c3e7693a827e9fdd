#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every test: the Swift tests on this host (pidfd and procfs backends), then
# the VM suite (the module, the CLI and dma-buf) on six Debian kernels,
# 5.10 to 7.2 (vm/kernels.conf).
#   scripts/test.sh           everything
#   scripts/test.sh --quick   the unit tier only (Tests/UnitTests: no process
#                             started, no module, no VM), and how long it took
set -uo pipefail
cd "$(dirname "$0")/.."
quick=0
case "${1:-}" in
--quick) quick=1 ;;
"") ;;
*) echo "usage: scripts/test.sh [--quick]" >&2; exit 2 ;;
esac
if ((quick)); then
	scripts/deps.sh || exit 1
else
	scripts/deps.sh --vm || exit 1
fi

# Host tests: debug build (Swift Testing does not link with a static stdlib).
log=$(mktemp)
trap 'rm -f "$log"' EXIT
host=0
hung=0
# A hung test fails the run instead of stalling it: each swift test (its
# build included) is bounded, and timeout kills its whole process group.
host_tests() {
	local limit=$1 rc
	shift
	timeout -k 10 "$limit" swift test "$@" 2>&1 | tee -a "$log"
	rc=${PIPESTATUS[0]}
	if ((rc == 124 || rc == 137)); then
		echo "test.sh: swift test $* did not finish within $limit s and was killed: a test started above and never ended" | tee -a "$log"
		hung=$((hung + 1))
	fi
	return "$rc"
}
# Swift Testing's "Test run with N tests" and its failed and skipped tests,
# over every host run so far: sets host_total, host_passed, host_failed
# (a killed run counts as one failure), host_skipped.
host_counts() {
	host_total=$(grep -oE 'Test run with [0-9]+ test' "$log" | grep -oE '[0-9]+' | awk '{n += $1} END {if (NR) print n}')
	host_failed=$(grep -cE '^✘ Test ".*" (with [0-9]+ test cases )?failed after' "$log" || true)
	host_skipped=$(grep -cE '^. Test ".*" skipped' "$log" || true)
	if [[ -z "$host_total" && hung -gt 0 ]]; then
		host_total=0
	fi
	[[ -n "$host_total" ]] || return 1
	host_passed=$((host_total - host_failed - host_skipped))
	host_failed=$((host_failed + hung))
}

if ((quick)); then
	# Built first, so that the time printed is the tests' own.
	started=$EPOCHREALTIME
	timeout -k 10 1200 swift build --build-tests 2>&1 | tee -a "$log"
	((PIPESTATUS[0] == 0)) || { echo "test.sh: the build failed" >&2; exit 1; }
	built=$EPOCHREALTIME
	host_tests 300 --skip-build --filter UnitTests || host=$?
	done=$EPOCHREALTIME
	if ! host_counts; then
		echo "test.sh: the unit tier printed no result line" >&2
		exit 1
	fi
	awk -v a="$started" -v b="$built" -v c="$done" \
		'BEGIN {printf "test.sh --quick: the unit tier took %.1f s (%.1f s with the build before it)\n", c - b, c - a}'
	echo "unit tier: $host_passed passed, $host_failed failed, $host_skipped skipped$( ((host_skipped)) && echo " (NOT RUN: see above)") (scripts/test.sh without --quick runs the end-to-end tests and the VM suite too)"
	echo "$host_passed passed, $host_failed failed, $host_skipped skipped"
	((host == 0))
	exit
fi

# The exit tests in a run of their own (Tests/AdoptTests/ContractExitTests.swift).
host_tests 1200 --skip ContractExitTests || host=$?
host_tests 600 --filter ContractExitTests || host=$?

# The VM payload: release binaries with the Swift runtime linked in.
scripts/build.sh || exit 1

vm=0
ADOPT_BIN_DIR=.build/release vm/run-tests.sh 2>&1 | tee -a "$log" || vm=$?

# One closing line for both suites: the host runs' counts plus the VM
# suite's "N passed, N failed, N skipped".
host_counts
read -r vm_passed vm_failed vm_skipped < <(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$log" | tail -n1 | awk '{print $1, $3, $5}')
if [[ -z "$host_total" || -z "${vm_passed:-}" ]]; then
	echo "test.sh: a suite printed no result line (host: ${host_total:-none}, vm: ${vm_passed:-none})" >&2
	exit 1
fi
echo "host: $host_passed passed, $host_failed failed, $host_skipped skipped$( ((host_skipped)) && echo " (NOT RUN: see above)"); VM: $vm_passed passed, $vm_failed failed, $vm_skipped skipped (each SKIP line above names what its kernel lacks)"
echo "$((host_passed + vm_passed)) passed, $((host_failed + vm_failed)) failed, $((host_skipped + vm_skipped)) skipped"
((host == 0 && vm == 0))
