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
hold_start --memfd --extra "$n" || exit 1
: > /tmp/lb.kmod
: > /tmp/lb.pidfd
i=0
while [ $i -lt "$rounds" ]; do
	rfd-time adopt list --no-sharers "$HOLD_PID" >> /tmp/lb.kmod
	rfd-time adopt list --no-sharers --via pidfd "$HOLD_PID" >> /tmp/lb.pidfd
	i=$((i + 1))
done
hold_stop
median() { grep -v FAILED "$1" | sort -n | awk '{v[NR] = $1} END {if (NR) print v[int((NR + 1) / 2)]}'; }
k=$(median /tmp/lb.kmod)
p=$(median /tmp/lb.pidfd)
if [ -n "$k" ] && [ -n "$p" ] && ! grep -q FAILED /tmp/lb.kmod /tmp/lb.pidfd; then
	echo "BENCH-MODE list-kmod $k"
	echo "BENCH-MODE list-pidfd $p"
	echo "# list-bench: $n memfds, $rounds rounds: module $k ns, --via pidfd $p ns, $(awk -v k="$k" -v p="$p" 'BEGIN {printf "%.1f", p / k}')x faster"
	pass "list-bench: measured"
else
	fail "list-bench: a listing failed: kmod [$(tr '\n' ' ' < /tmp/lb.kmod)] pidfd [$(tr '\n' ' ' < /tmp/lb.pidfd)]"
fi
