# SPDX-License-Identifier: GPL-2.0-only
# `adopt watch` (capture on exit) through the CLI: with the module
# (--via kmod, and --via auto preferring it) and with ptrace (--via pidfd):
# a producer is SIGKILLed and the captured buffer equals a dump taken just
# before.  Needs adopt and memfd-producer from ADOPT_BIN_DIR (vm/README.md).
. /tests/lib.sh
if ! grep -qx adopt /tests/payload.expected; then
	skip "cli-capture: adopt not provided (run with ADOPT_BIN_DIR=dir holding adopt)"
	exit 0
fi
for b in adopt memfd-producer; do
	if ! command -v $b >/dev/null 2>&1; then
		fail "cli-capture: $b expected in the initramfs but missing"
		exit 1
	fi
done

# capture NAME VIA EXPECTED_HOW: one run of `adopt watch --via VIA`
capture() {
	name=$1 via=$2 how=$3
	rm -f /tmp/prod.out /tmp/watch.out /tmp/before.bin /tmp/after.bin
	# A long interval: the content stays "[0]" between the two dumps.
	memfd-producer --size 65536 --interval 100000 > /tmp/prod.out &
	ppid=$!
	i=0
	while ! grep -q '^pid ' /tmp/prod.out 2>/dev/null; do
		i=$((i + 1)); [ $i -gt 100 ] && { fail "$name: producer did not start"; return; }
		sleep 0.1
	done
	set -- $(cat /tmp/prod.out)
	fd=$4
	adopt --via pidfd --dump /tmp/before.bin "$ppid" "$fd" 2>/dev/null
	adopt watch --via "$via" --fd "$fd" --dump /tmp/after.bin "$ppid" > /tmp/watch.out 2>&1 &
	wpid=$!
	i=0
	while ! grep -q '^watching ' /tmp/watch.out 2>/dev/null; do
		i=$((i + 1)); [ $i -gt 100 ] && { fail "$name: adopt watch did not arm: $(tr '\n' ' ' < /tmp/watch.out)"; kill -9 $ppid $wpid; return; }
		sleep 0.1
	done
	kill -9 "$ppid"
	wait "$ppid" 2>/dev/null
	i=0
	while kill -0 "$wpid" 2>/dev/null; do
		i=$((i + 1)); [ $i -gt 100 ] && { fail "$name: adopt watch still running after the producer died"; kill -9 $wpid; return; }
		sleep 0.1
	done
	wait "$wpid"; rc=$?
	if [ $rc -eq 0 ] && grep -q "^watching .*via=$how" /tmp/watch.out && grep -q '^exited .*captured=1' /tmp/watch.out &&
	   [ -s /tmp/before.bin ] && [ "$(stat -c %s /tmp/after.bin)" = 65536 ] && cmp -s /tmp/before.bin /tmp/after.bin; then
		pass "$name: SIGKILLed producer's memfd captured byte-identical (via $how)"
	else
		fail "$name: exit $rc, after=$(stat -c %s /tmp/after.bin 2>/dev/null): $(tr '\n' ' ' < /tmp/watch.out | tail -c 300)"
	fi
}

capture cli-capture-kmod kmod kmod
capture cli-capture-auto auto kmod
capture cli-capture-ptrace pidfd ptrace

# Without the module, --via auto falls back to ptrace; --via kmod says why.
rmmod remotefd
capture cli-capture-auto-nomodule auto ptrace
out=$(adopt watch --via kmod 1 2>&1); rc=$?
if [ $rc -ne 0 ] && echo "$out" | grep -q 'cannot open /dev/remotefd: is the remotefd module loaded?'; then
	pass "cli-capture-nomodule: --via kmod without the module is one clear error"
else
	fail "cli-capture-nomodule: exit $rc: $out"
fi
insmod /lib/modules/remotefd.ko legacy_proc=1
