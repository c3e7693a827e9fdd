# SPDX-License-Identifier: GPL-2.0-only
# Debug kernel (vm/debug/scenarios, issue 11): before any scenario, scan
# for kmemleak suspects of the boot (kernel and module loading), record
# them and `echo clear` them, so that 99-kmemleak-end reports only what
# the scenarios leaked.
. /tests/lib.sh
K=/sys/kernel/debug/kmemleak
grep -q " /sys/kernel/debug " /proc/mounts || mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
if [ ! -e $K ]; then
	skip "kmemleak-begin: ======== NO KMEMLEAK in this kernel: the leak checks need the debug kernel (scripts/debug-kernel.sh --test) ========"
	exit 0
fi
t0=$(date +%s)
# Objects younger than 5 s are never reported: wait, then two scans.
sleep 6
echo scan > $K
echo scan > $K
cat $K > /tmp/kmemleak.boot
n=$(grep -c '^unreferenced object' /tmp/kmemleak.boot)
echo clear > $K
echo "# kmemleak-begin: $n boot-time suspects recorded and cleared ($(( $(date +%s) - t0 )) s for two scans)"
grep -A12 '^unreferenced object' /tmp/kmemleak.boot | head -n 40 | sed 's/^/# boot-leak: /'
pass "kmemleak-begin: boot-time suspects cleared ($n)"
