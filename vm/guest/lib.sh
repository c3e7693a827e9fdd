# Sourced by the scenarios (sh, busybox).  Contract: print lines
#   PASS <name>            or   FAIL <name>: <reason>   (SKIP <name>: <why>
# is reported but counts as neither).  Exit status is advisory.
pass() { echo "PASS $*"; }
fail() { echo "FAIL $*"; }
skip() { echo "SKIP $*"; }
# check NAME COMMAND...: PASS if the command succeeds
check() { n=$1; shift; if "$@" > /tmp/check.out 2>&1; then pass "$n"; else fail "$n: $(tail -n 3 /tmp/check.out | tr '\n' ' ')"; fi; }
KVER=$(uname -r)
case "$KVER" in 6.1.*) KSHORT=6.1 ;; 6.12.*) KSHORT=6.12 ;; *) KSHORT=$KVER ;; esac

# hold_start ARGS...: start rfd-hold, sets HOLD_PID HOLD_MEMFD HOLD_SHMFD
# HOLD_CLOSED HOLD_TID (-1 when not asked for)
hold_start() {
	rm -f /tmp/hold.out
	rfd-hold "$@" > /tmp/hold.out &
	i=0
	while ! grep -q READY /tmp/hold.out 2>/dev/null; do
		i=$((i + 1)); [ $i -gt 100 ] && { fail "hold_start: rfd-hold did not start"; return 1; }
		sleep 0.1
	done
	set -- $(cat /tmp/hold.out)
	HOLD_PID=$2 HOLD_MEMFD=$3 HOLD_SHMFD=$4 HOLD_CLOSED=$5 HOLD_TID=$6
}
hold_stop() { kill "$HOLD_PID" 2>/dev/null; wait "$HOLD_PID" 2>/dev/null; rm -f /dev/shm/rfd-hold-*; }

# reload ARGS...: rmmod and insmod remotefd with module parameters
reload() { rmmod remotefd 2>/dev/null; insmod /lib/modules/remotefd.ko "$@"; }
