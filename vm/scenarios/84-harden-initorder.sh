# SPDX-License-Identifier: GPL-2.0-only
# Load order: with /proc/remotefd taken (test module rfd_procblock),
# insmod remotefd.ko legacy_proc=1 fails and /dev/remotefd never appears
# (inotify on /dev, rfd-harden devwatch); the default load creates no
# /proc/remotefd (legacy_proc reads N).  Leaves remotefd loaded with
# legacy_proc=1.
. /tests/lib.sh
T=init-order
KO=/lib/modules/remotefd.ko
BLOCK=/lib/modules/test/rfd_procblock.ko
OUT=/tmp/devwatch.out
STOP=rfd-harden-stop

if ! rmmod remotefd 2>/tmp/rmmod.err; then
	fail "$T: rmmod remotefd: $(cat /tmp/rmmod.err) (refcnt $(cat /sys/module/remotefd/refcnt 2>/dev/null)): load order not tested"
	exit 0
fi

if [ ! -f "$BLOCK" ]; then
	fail "$T: $BLOCK missing (vm/testmods not built into the guest)"
elif ! insmod "$BLOCK" 2>/tmp/insmod.err; then
	fail "$T: insmod rfd_procblock.ko: $(cat /tmp/insmod.err)"
else
	rm -f "$OUT" "/dev/$STOP"
	rfd-harden devwatch /dev remotefd "$STOP" > "$OUT" 2>&1 &
	wpid=$!
	i=0
	while ! grep -q READY "$OUT" 2>/dev/null && [ $i -lt 100 ]; do
		i=$((i + 1))
		sleep 0.1
	done
	echo "rfd-test: expect-warning-begin" > /dev/kmsg
	if insmod "$KO" legacy_proc=1 2>/tmp/insmod.err; then
		echo "rfd-test: expect-warning-end" > /dev/kmsg
		fail "$T: insmod legacy_proc=1 with /proc/remotefd taken succeeded"
		rmmod remotefd
	else
		echo "rfd-test: expect-warning-end" > /dev/kmsg
		pass "$T: insmod legacy_proc=1 fails while /proc/remotefd is taken ($(tr '\n' ' ' < /tmp/insmod.err))"
	fi
	touch "/dev/$STOP"
	wait $wpid
	rm -f "/dev/$STOP"
	if grep -q '^CREATED remotefd' "$OUT"; then
		fail "$T: /dev/remotefd was created (and removed) during the failed load"
	elif grep -q '^STOP' "$OUT"; then
		pass "$T: /dev/remotefd never appeared during the failed load (inotify IN_CREATE on /dev)"
	else
		fail "$T: inotify watcher: $(tr '\n' ' ' < "$OUT")"
	fi
	check "$T: no /dev/remotefd after the failed load" sh -c '! test -e /dev/remotefd'
	check "$T: rmmod rfd_procblock" rmmod rfd_procblock
	check "$T: /proc/remotefd gone with rfd_procblock" sh -c '! test -e /proc/remotefd'
fi

check "$T: insmod legacy_proc=1 works" insmod "$KO" legacy_proc=1
check "$T: legacy_proc=1: /proc/remotefd and /dev/remotefd exist" \
	test -e /proc/remotefd -a -e /dev/remotefd
check "$T: rmmod" rmmod remotefd
if insmod "$KO" 2>/tmp/insmod.err; then
	pass "$T: insmod with default parameters"
	check "$T: default load: no /proc/remotefd" sh -c '! test -e /proc/remotefd'
	p=$(cat /sys/module/remotefd/parameters/legacy_proc 2>&1)
	if [ "$p" = N ]; then
		pass "$T: default load: parameters/legacy_proc reads N"
	else
		fail "$T: default load: parameters/legacy_proc reads $p, not N"
	fi
	check "$T: /dev/remotefd with default parameters" test -e /dev/remotefd
	rmmod remotefd
else
	fail "$T: insmod with default parameters: $(cat /tmp/insmod.err)"
fi
check "$T: insmod legacy_proc=1 at the end" insmod "$KO" legacy_proc=1
