# SPDX-License-Identifier: GPL-2.0-only
# Sourced by the scenarios (sh, busybox).  Contract: print lines
#   PASS <name>            or   FAIL <name>: <reason>   (SKIP <name>: <why>
# is reported but counts as neither).  Exit status is advisory.
pass() { echo "PASS $*"; }
fail() { echo "FAIL $*"; }
skip() { echo "SKIP $*"; }
# check NAME COMMAND...: PASS if the command succeeds
check() { n=$1; shift; if "$@" > /tmp/check.out 2>&1; then pass "$n"; else fail "$n: $(tail -n 3 /tmp/check.out | tr '\n' ' ')"; fi; }
# KVER: uname -r.  KSHORT: major.minor (5.10, 6.1, 6.12, 7.2).  KRT: 1 on a
# PREEMPT_RT kernel, else 0.  KID: the harness's kernel id (vm/kernels.conf:
# 5.10 6.1 6.12 6.12-deb13 6.12-rt 7.2), from rfd.kernel_id.
KVER=$(uname -r)
KSHORT=$(echo "$KVER" | sed -n 's/^\([0-9]*\.[0-9]*\).*/\1/p')
[ -n "$KSHORT" ] || KSHORT=$KVER
case "$(uname -v)" in *PREEMPT_RT*) KRT=1 ;; *) KRT=0 ;; esac
KID=${RFD_KERNEL_ID:-$KSHORT}
# kver_ge MAJOR.MINOR: the running kernel is at least that version
kver_ge() {
	set -- "${1%%.*}" "${1#*.}" "${KSHORT%%.*}" "${KSHORT#*.}"
	[ "$3" -gt "$1" ] || { [ "$3" -eq "$1" ] && [ "$4" -ge "$2" ]; }
}

# A scenario that provokes a known kernel warning on purpose brackets it:
# the harness leaves dmesg lines between the two markers out of its
# BUG/WARNING/stall/... check.  Say why in the scenario.
expect_warning_begin() { echo "rfd-test: expect-warning-begin $*" > /dev/kmsg; }
expect_warning_end() { echo "rfd-test: expect-warning-end $*" > /dev/kmsg; }

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
# load_module NAME [PARAMS...]: insmod an on-demand module (vm/modules.ondemand)
# and its dependencies, those not loaded already; PARAMS go to NAME itself.
# 1, saying why on stderr, if it is not in the guest or does not load.
load_module() {
	lm_name=$1
	shift
	lm_dir=/lib/modules/ondemand/$lm_name
	[ -d "/sys/module/$(echo "$lm_name" | tr - _)" ] && return 0
	if [ ! -f "$lm_dir/order" ]; then
		echo "load_module: $lm_name is not in this guest ($(cat "$lm_dir.missing" 2>/dev/null || echo "not in vm/modules.ondemand"))" >&2
		return 1
	fi
	while read -r lm_ko; do
		lm_mod=${lm_ko%.ko}
		[ -d "/sys/module/$(echo "$lm_mod" | tr - _)" ] && continue
		if [ "$lm_mod" = "$lm_name" ]; then
			insmod "$lm_dir/$lm_ko" "$@" || { echo "load_module: insmod $lm_ko $* failed" >&2; return 1; }
		else
			insmod "$lm_dir/$lm_ko" || { echo "load_module: insmod $lm_ko failed" >&2; return 1; }
		fi
	done < "$lm_dir/order"
}
hold_stop() { kill "$HOLD_PID" 2>/dev/null; wait "$HOLD_PID" 2>/dev/null; rm -f /dev/shm/rfd-hold-*; }

# reload ARGS...: rmmod and insmod remotefd with module parameters; with
# legacy_proc=1 (as /init loads it) unless ARGS set legacy_proc
reload() {
	rmmod remotefd 2>/dev/null
	case " $* " in
	*" legacy_proc="*) insmod /lib/modules/remotefd.ko "$@" ;;
	*) insmod /lib/modules/remotefd.ko legacy_proc=1 "$@" ;;
	esac
}

# wait_line FILE PATTERN [TENTHS]: until a line of FILE matches (TCG is
# slow); 1 after TENTHS tenths of a second (default 600).
wait_line() {
	n=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		n=$((n + 1))
		[ "$n" -gt "${3:-600}" ] && return 1
		sleep 0.1
	done
	return 0
}
