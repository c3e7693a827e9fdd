# SPDX-License-Identifier: GPL-2.0-only
# Capture on exit (REMOTEFD_IOC_WATCH/UNWATCH/COLLECT, poll): see
# vm/helpers/rfd-capture.c.  Then: rmmod after watchers closed with captures
# queued leaves Shmem at its baseline; the module reloads with defaults.
# Runs before 90-yama-matrix (which leaves ptrace_scope at 3).
. /tests/lib.sh
echo 0 > /proc/sys/kernel/yama/ptrace_scope
base=$(awk '/^Shmem:/ {print $2}' /proc/meminfo)
rfd-capture capture
if rmmod remotefd 2>/tmp/rmmod.err; then
	pass "capture: rmmod after the watchers closed"
else
	fail "capture: rmmod: $(cat /tmp/rmmod.err)"
fi
after=$(awk '/^Shmem:/ {print $2}' /proc/meminfo)
echo "# capture: Shmem ${base} kB before, ${after} kB after rmmod"
if [ "$after" -le $((base + 1024)) ]; then
	pass "capture: Shmem back to baseline after rmmod (${base} -> ${after} kB)"
else
	fail "capture: Shmem ${base} -> ${after} kB after rmmod"
fi
check "capture: insmod again" insmod /lib/modules/remotefd.ko legacy_proc=1
check "capture: no remotefd warning in dmesg" sh -c '! dmesg | grep -i "remotefd.*\(warn\|bug\)"'
