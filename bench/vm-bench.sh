#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench/vm-bench.sh [6.1] [6.12]: the module row of bench/run.sh. Boots the
# VM suite's guests (vm/run-tests.sh: qemu TCG, module built for each
# kernel) with ONLY the bench scenario (bench/vm/95-bench.sh, through the
# harness's RFD_SCENARIO_DIR) and prints, per kernel and mode,
#   VMBENCH <kernel> <mode> <ns per fd>
# from vm/helpers/rfd-bench.c. Ratios only: TCG time is not real time.
# Default kernel: 6.12 (both: `bench/vm-bench.sh 6.1 6.12`). Exit status 1
# if nothing was measured (the reason is printed).
set -uo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
work=$REPO/${BENCH_SCRATCH:-.build-bench}/vm-work
series=("$@")
[ ${#series[@]} -eq 0 ] && series=(6.12)
rm -rf "$work"/[0-9]*
mkdir -p "$work/no-payload"
[ -x vm/run-tests.sh ] || { echo "vm-bench: vm/run-tests.sh missing"; exit 1; }
grep -q RFD_SCENARIO_DIR vm/run-tests.sh ||
	{ echo "vm-bench: vm/run-tests.sh has no RFD_SCENARIO_DIR hook"; exit 1; }
# The whole-command listing row (96-list-bench.sh) needs the CLI: the one
# bench/run.sh built (static) if there is one; else that row says NOT RUN.
payload=$work/no-payload bins=" "
if [ -x "$REPO/${BENCH_SCRATCH:-.build-bench}/release/adopt" ]; then
	payload=$REPO/${BENCH_SCRATCH:-.build-bench}/release bins=adopt
fi
RFD_SCENARIO_DIR=$REPO/bench/vm RFD_WORK=$work ADOPT_BIN_DIR=$payload ADOPT_BINS=$bins \
	VM_TIMEOUT=${VM_TIMEOUT:-600} vm/run-tests.sh "${series[@]}" >&2
rc=$?
found=0
for log in "$work"/*/serial.log; do
	[ -f "$log" ] || continue
	kver=$(basename "$(dirname "$log")")
	while read -r _ mode ns; do
		echo "VMBENCH $kver $mode $ns"
		found=1
	done < <(tr -d '\r' < "$log" | grep '^BENCH-MODE ')
	tr -d '\r' < "$log" | grep -E '^(FAIL|SKIP) ' | sed "s/^/vm-bench: [$kver] /"
done
if [ $found = 0 ]; then
	[ $rc = 2 ] && echo "vm-bench: the VM harness stopped in setup (a missing dependency: scripts/deps.sh --vm; or the module did not build)"
	echo "vm-bench: nothing measured (vm/run-tests.sh exit $rc; logs in ${work#"$REPO"/})"
	exit 1
fi
