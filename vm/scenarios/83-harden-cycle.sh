# SPDX-License-Identifier: GPL-2.0-only
# Reference cycles: a process (root, uid 1000) watches itself (ALL_FDS, and
# the explicit fds) while an io_uring holds its /dev/remotefd file as a
# fixed file, or a unix socket holds it in flight; it exits.  Those files
# must be SKIPPED (a memfd and a pipe in the same watch captured), the
# module's refcnt returns to its baseline, and rmmod works.
. /tests/lib.sh
if [ -w /proc/sys/kernel/yama/ptrace_scope ]; then
	echo 0 > /proc/sys/kernel/yama/ptrace_scope
fi
rfd-harden cycle
if rmmod remotefd 2>/tmp/rmmod.err; then
	pass "cycle: rmmod remotefd after the self-watchers exited"
else
	fail "cycle: rmmod remotefd: $(cat /tmp/rmmod.err) (refcnt $(cat /sys/module/remotefd/refcnt 2>/dev/null))"
fi
if insmod /lib/modules/remotefd.ko legacy_proc=1 2>/tmp/insmod.err; then
	pass "cycle: insmod remotefd.ko legacy_proc=1 again"
elif [ -e /sys/module/remotefd ]; then
	echo "# cycle: remotefd still loaded (not unloaded above)"
else
	fail "cycle: insmod remotefd.ko legacy_proc=1: $(cat /tmp/insmod.err)"
fi
