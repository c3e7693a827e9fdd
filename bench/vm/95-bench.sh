# SPDX-License-Identifier: Apache-2.0
# Not a test: the module-ioctl row of bench/run.sh, run in the guest by
# bench/vm-bench.sh through vm/run-tests.sh (RFD_SCENARIO_DIR=bench/vm).
# The helper is vm/helpers/rfd-bench.c; its "BENCH-MODE" lines are parsed
# from the serial log on the host (the target-handle modes too, when the
# module reports REMOTEFD_FEAT_HANDLE); its "# " lines (the goal table of
# the handle rows, with met/MISSED) are echoed by the harness.
. /tests/lib.sh
rfd-bench "${RFD_BENCH_ITERS:-2000}" "${RFD_BENCH_ROUNDS:-7}"
