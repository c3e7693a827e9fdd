# SPDX-License-Identifier: GPL-2.0-only
# Debug kernel (vm/debug/scenarios, issue 11): after every scenario, two
# kmemleak scans with the module loaded, then rmmod and two more scans
# (objects only the module's memory pointed to become unreferenced then).
# Any unreferenced object fails (boot-time ones were cleared by
# 00-kmemleak-begin); one whose backtrace names remotefd says so.
. /tests/lib.sh
K=/sys/kernel/debug/kmemleak
grep -q " /sys/kernel/debug " /proc/mounts || mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
if [ ! -e $K ]; then
	skip "kmemleak-end: ======== NO KMEMLEAK in this kernel: the leak checks need the debug kernel ========"
	exit 0
fi
# scan_report PHASE: two scans, FAIL/PASS on what they find
scan_report() {
	t0=$(date +%s)
	sleep 6		# objects younger than 5 s are not reported
	echo scan > $K
	echo scan > $K
	cat $K > /tmp/kmemleak.$1
	n=$(grep -c '^unreferenced object' /tmp/kmemleak.$1)
	nr=$(awk '/^unreferenced object/ { o = 0 } /remotefd/ { if (!o) c++; o = 1 } END { print c + 0 }' /tmp/kmemleak.$1)
	echo "# kmemleak-end: $1: $n suspects, $nr with remotefd in the backtrace ($(( $(date +%s) - t0 )) s)"
	if [ "$n" -eq 0 ]; then
		pass "kmemleak-end: $1: no unreferenced object"
	else
		sed 's/^/# leak: /' /tmp/kmemleak.$1 | head -n 120
		fail "kmemleak-end: $1: $n unreferenced objects ($nr mention remotefd)"
	fi
	echo clear > $K
}
scan_report loaded
if rmmod remotefd 2>/tmp/rmmod.err; then
	pass "kmemleak-end: rmmod remotefd"
else
	fail "kmemleak-end: rmmod remotefd: $(cat /tmp/rmmod.err)"
fi
scan_report unloaded
insmod /lib/modules/remotefd.ko legacy_proc=1 || fail "kmemleak-end: insmod again"
