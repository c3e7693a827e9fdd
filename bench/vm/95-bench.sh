# Not a test: the module-ioctl row of bench/run.sh, run in the guest by
# bench/vm-bench.sh through vm/run-tests.sh (RFD_SCENARIO_DIR=bench/vm).
# The helper is vm/helpers/rfd-bench.c; its "BENCH-MODE" lines are parsed
# from the serial log on the host.
. /tests/lib.sh
rfd-bench "${RFD_BENCH_ITERS:-2000}" "${RFD_BENCH_ROUNDS:-7}"
