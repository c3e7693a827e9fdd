# SPDX-License-Identifier: GPL-2.0-only
# rmmod after use; rmmod refused while /dev/remotefd is open; safe while
# /proc/remotefd is open (procfs runs the entry down: later ioctls on the
# stale fd fail, ENOTTY); legacy_proc=0, the default (/proc/remotefd
# reaches into every procfs instance, containers included).
. /tests/lib.sh
hold_start --memfd || exit 1
rfd-legacy-client "$HOLD_PID" "$HOLD_MEMFD" >/dev/null
exec 3</dev/remotefd
if rmmod remotefd 2>/tmp/rmmod.err; then
	fail "rmmod while /dev/remotefd is open: succeeded"
	insmod /lib/modules/remotefd.ko legacy_proc=1
else
	pass "rmmod while /dev/remotefd is open refused: $(cat /tmp/rmmod.err)"
fi
check "module still works after the refused rmmod" rfd-legacy-client "$HOLD_PID" "$HOLD_MEMFD"
exec 3<&-
exec 4</proc/remotefd
if rmmod remotefd 2>/tmp/rmmod.err; then
	pass "rmmod after use, /proc/remotefd still open: succeeded"
else
	fail "rmmod after use: $(cat /tmp/rmmod.err)"
fi
out=$(rfd-legacy-client "$HOLD_PID" "$HOLD_MEMFD" 4)
case "$out" in
"ioctl: ENOTTY"|"ioctl: EIO") pass "stale /proc/remotefd fd after rmmod: $out" ;;
*) fail "stale /proc/remotefd fd after rmmod: $out" ;;
esac
exec 4<&-
check "/dev/remotefd gone after rmmod" sh -c '! test -e /dev/remotefd'
if insmod /lib/modules/remotefd.ko legacy_proc=0; then
	hold_start --memfd --shm || exit 1
	rfd-basic "legacy_proc=0" "$HOLD_PID" "$HOLD_MEMFD" "$HOLD_SHMFD" --no-legacy
else
	fail "insmod legacy_proc=0"
fi
check "rmmod legacy_proc=0" rmmod remotefd
check "insmod again (default parameters)" insmod /lib/modules/remotefd.ko
check "default parameters: no /proc/remotefd" sh -c '! test -e /proc/remotefd'
check "default parameters: legacy_proc reads N" grep -qx N /sys/module/remotefd/parameters/legacy_proc
check "rmmod (defaults)" rmmod remotefd
check "insmod legacy_proc=1" insmod /lib/modules/remotefd.ko legacy_proc=1
check "/proc/remotefd back" test -e /proc/remotefd
check "/dev/remotefd is 0666" sh -c 'ls -l /dev/remotefd | grep -q "^crw-rw-rw-"'
hold_stop
