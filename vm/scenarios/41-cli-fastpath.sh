# SPDX-License-Identifier: GPL-2.0-only
# The CLI through target handles and the module's inventory (issue 9):
#   - adopt PID FD says "via: kmod (handle)";
#   - adopt list PID reads the table through the inventory ("read via kmod
#     (inventory)", JSON "via") and shows the same rows as --via pidfd;
#   - a handle survives nothing it should not: the target exec'ing between
#     two adoptions of one `adopt list` is covered by the C scenarios;
#   - compatibility: this adopt against the previous module (ABI 1 without
#     REMOTEFD_FEAT_HANDLE, /lib/modules/test/remotefd_v1.ko built by the
#     harness from the last release's sources) falls back to GETFD
#     ("via: kmod (getfd)") and lists by adopting each fd.
. /tests/lib.sh
if ! grep -qx adopt /tests/payload.expected || ! command -v adopt >/dev/null 2>&1; then
	fail "cli-fast: adopt expected in the initramfs but missing"
	exit 1
fi
hold_start --memfd --shm || exit 1

out=$(adopt "$HOLD_PID" "$HOLD_MEMFD" 2>&1)
if echo "$out" | grep -q '^via: *kmod (handle)$' && echo "$out" | grep -q '|remotefd-memfd-p|'; then
	pass "cli-fast: adopt PID FD through the target handle (via: kmod (handle))"
else
	fail "cli-fast: adopt PID FD: $(echo "$out" | head -n 6 | tr '\n' ' ')"
fi

rows() { grep -v '^total:\|^  \|^error:' ; }
kmod_out=$(adopt list "$HOLD_PID" 2>&1); rc1=$?
pidfd_out=$(adopt list --via pidfd "$HOLD_PID" 2>&1); rc2=$?
if [ $rc1 -eq 0 ] && echo "$kmod_out" | grep -q '^total: .*(read via kmod (inventory))$'; then
	pass "cli-fast: adopt list reads through the module's inventory"
else
	fail "cli-fast: adopt list: exit $rc1: $(echo "$kmod_out" | tail -n 3 | tr '\n' ' ')"
fi
if [ $rc2 -eq 0 ] && echo "$pidfd_out" | grep -q '(read via pidfd)$' &&
   [ "$(echo "$kmod_out" | rows)" = "$(echo "$pidfd_out" | rows)" ] &&
   [ "$(echo "$kmod_out" | rows | wc -l)" -ge 3 ]; then
	pass "cli-fast: the inventory's rows equal the pidfd listing's ($(echo "$kmod_out" | rows | wc -l) lines)"
else
	fail "cli-fast: rows differ: kmod [$(echo "$kmod_out" | rows | tr '\n' '|')] pidfd [$(echo "$pidfd_out" | rows | tr '\n' '|')]"
fi
out=$(adopt list --json "$HOLD_PID" 2>&1)
if echo "$out" | grep -q '^{"via":"kmod (inventory)",' && echo "$out" | grep -q '"type":"memfd"' &&
   echo "$out" | grep -q '"type":"shm"'; then
	pass "cli-fast: adopt list --json names the inventory"
else
	fail "cli-fast: list --json: $(echo "$out" | head -c 300)"
fi
# Nothing was adopted: the target's memfd has only the target's reference.
inode=$(stat -L -c %i /proc/$HOLD_PID/fd/$HOLD_MEMFD)
holders=$(for p in /proc/[0-9]*; do ls -l $p/fd 2>/dev/null | grep -c "memfd:rfd-hold"; done | awk '{s+=$1} END {print s}')
if [ "$holders" = 1 ]; then
	pass "cli-fast: after the listing only the owner holds the memfd (inode $inode)"
else
	fail "cli-fast: $holders fds hold the memfd after the listing"
fi
hold_stop

# The previous module (no handles): this adopt falls back to GETFD.
v1=/lib/modules/test/remotefd_v1.ko
if [ -f /lib/modules/test/remotefd_v1.unavailable ]; then
	skip "cli-compat: NOT RUN on $KVER: $(cat /lib/modules/test/remotefd_v1.unavailable)"
	exit 0
fi
if [ ! -f "$v1" ]; then
	fail "cli-compat: $v1 missing (the harness builds it from the previous release)"
	exit 1
fi
rmmod remotefd || fail "cli-compat: rmmod remotefd"
if insmod "$v1"; then
	hold_start --memfd --shm || exit 1
	out=$(adopt "$HOLD_PID" "$HOLD_MEMFD" 2>&1)
	if echo "$out" | grep -q '^via: *kmod (getfd)$' && echo "$out" | grep -q '|remotefd-memfd-p|'; then
		pass "cli-compat: adopt against the previous module uses GETFD (via: kmod (getfd))"
	else
		fail "cli-compat: adopt against the previous module: $(echo "$out" | head -n 6 | tr '\n' ' ')"
	fi
	out=$(adopt list "$HOLD_PID" 2>&1)
	if echo "$out" | grep -q '(read via kmod)$' && echo "$out" | grep -q ' memfd '; then
		pass "cli-compat: adopt list against the previous module adopts each fd (read via kmod)"
	else
		fail "cli-compat: list against the previous module: $(echo "$out" | tail -n 4 | tr '\n' ' ')"
	fi
	hold_stop
	rmmod remotefd_v1 2>/dev/null || rmmod remotefd
else
	fail "cli-compat: insmod $v1"
fi
insmod /lib/modules/remotefd.ko legacy_proc=1 || fail "cli-compat: insmod remotefd again"
