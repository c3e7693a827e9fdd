# SPDX-License-Identifier: GPL-2.0-only
# Adopt a memfd and a /dev/shm file by pid and by pidfd (C helpers), O_CLOEXEC,
# the original ABI from an unmodified client, 32-bit callers (compat_ioctl).
. /tests/lib.sh
hold_start --memfd --shm || exit 1
rfd-basic "basic" "$HOLD_PID" "$HOLD_MEMFD" "$HOLD_SHMFD"
if [ -x /opt/rfd/bin/rfd-basic32 ]; then
	rfd-basic "compat32" "$HOLD_PID" "$HOLD_MEMFD" "$HOLD_SHMFD" >/dev/null 2>&1
	rfd-basic32 "compat32" "$HOLD_PID" "$HOLD_MEMFD" "$HOLD_SHMFD"
else
	fail "compat32: rfd-basic32 missing from the initramfs"
fi
out=$(rfd-legacy-client "$HOLD_PID" "$HOLD_MEMFD")
rc=$?
case "$rc:$out" in
0:*"cloexec: 1 data: remotefd-memfd-payload"*) pass "original-ABI client (unchanged): $out" ;;
*) fail "original-ABI client: rc $rc: $out" ;;
esac
out=$(rfd-legacy-client "$HOLD_PID" "$HOLD_SHMFD")
case "$out" in
*"cloexec: 1 data: remotefd-shm-payload"*) pass "original-ABI client, shm: $out" ;;
*) fail "original-ABI client, shm: $out" ;;
esac
# a non-root caller of the original ABI is refused for a root target
hold_stop
