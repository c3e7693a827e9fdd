# SPDX-License-Identifier: Apache-2.0
# Not a test: issue 9's whole-command row of bench/run.sh, run in the guest
# by bench/vm-bench.sh.  A target holding 10 000 memfds; `adopt list PID`
# with the module (its inventory: nothing adopted) against
# `adopt list --via pidfd PID` (an adoption and several syscalls per fd),
# both with --no-sharers, alternated round by round in this boot.  Prints
# "BENCH-MODE list-kmod NS" and "BENCH-MODE list-pidfd NS" (medians).
. /tests/lib.sh
if ! command -v adopt >/dev/null 2>&1; then
	skip "list-bench: NOT RUN: adopt not in the guest (bench/vm-bench.sh passes ADOPT_BIN_DIR)"
	exit 0
fi
n=${RFD_LIST_BENCH_FDS:-10000}
rounds=${RFD_BENCH_ROUNDS:-7}
# rounds_of SUFFIX: both commands alternated, $rounds times, against
# $HOLD_PID, into /tmp/lb.kmodSUFFIX and /tmp/lb.pidfdSUFFIX
rounds_of() {
	: > /tmp/lb.kmod$1
	: > /tmp/lb.pidfd$1
	i=0
	while [ $i -lt "$rounds" ]; do
		rfd-time adopt list --no-sharers "$HOLD_PID" >> /tmp/lb.kmod$1
		rfd-time adopt list --no-sharers --via pidfd "$HOLD_PID" >> /tmp/lb.pidfd$1
		i=$((i + 1))
	done
}
hold_start --memfd --extra "$n" || exit 1
rounds_of ""
hold_stop
# The same commands on a target holding one memfd: what a listing costs
# before its first row (start-up, attach or pidfd_open, maps), to read the
# 10 000-fd figures against.
hold_start --memfd || exit 1
rounds_of 1
hold_stop
median() { grep -v FAILED "$1" | sort -n | awk '{v[NR] = $1} END {if (NR) print v[int((NR + 1) / 2)]}'; }
k=$(median /tmp/lb.kmod)
p=$(median /tmp/lb.pidfd)
if [ -n "$k" ] && [ -n "$p" ] && ! grep -q FAILED /tmp/lb.kmod /tmp/lb.pidfd; then
	echo "BENCH-MODE list-kmod $k"
	echo "BENCH-MODE list-pidfd $p"
	echo "BENCH-MODE list-kmod-1fd $(median /tmp/lb.kmod1)"
	echo "BENCH-MODE list-pidfd-1fd $(median /tmp/lb.pidfd1)"
	echo "# list-bench: $n memfds, $rounds rounds: module $k ns, --via pidfd $p ns, $(awk -v k="$k" -v p="$p" 'BEGIN {printf "%.1f", p / k}')x faster"
	pass "list-bench: measured"
else
	fail "list-bench: a listing failed: kmod [$(tr '\n' ' ' < /tmp/lb.kmod)] pidfd [$(tr '\n' ' ' < /tmp/lb.pidfd)]"
fi
