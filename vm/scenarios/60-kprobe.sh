# SPDX-License-Identifier: GPL-2.0-only
# Opt-in kprobe mode (fget_task resolved by a temporary kprobe): same
# results, same permission checks.  TCG emulates no IBT, so it must load.
. /tests/lib.sh
if reload kprobe_lookup=1 2>/tmp/insmod.err; then
	pass "kprobe: insmod kprobe_lookup=1"
else
	fail "kprobe: insmod kprobe_lookup=1: $(cat /tmp/insmod.err)"
	reload; exit 1
fi
check "kprobe: parameter reads Y" grep -qx Y /sys/module/remotefd/parameters/kprobe_lookup
check "kprobe: dmesg names fget_task" sh -c 'dmesg | grep -q "kprobe_lookup=1: using fget_task"'
check "kprobe: info reports REMOTEFD_FEAT_KPROBE_LOOKUP" rfd-info --expect-kprobe
hold_start --memfd --shm || exit 1
rfd-basic "kprobe" "$HOLD_PID" "$HOLD_MEMFD" "$HOLD_SHMFD"
hold_stop
rfd-malformed "kprobe-malformed"
echo 0 > /proc/sys/kernel/yama/ptrace_scope
rfd-matrix "kprobe-matrix"
echo 1 > /proc/sys/kernel/yama/ptrace_scope
rfd-matrix "kprobe-matrix"
echo 0 > /proc/sys/kernel/yama/ptrace_scope
rfd-stress "kprobe-stress" 2 5000
if reload; then pass "kprobe: back to the default lookup"; else fail "kprobe: reload default"; fi
check "default: info without the kprobe feature" rfd-info --expect-no-kprobe
