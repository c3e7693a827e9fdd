# SPDX-License-Identifier: GPL-2.0-only
# The module's line coverage over the whole debug run (issue 19): with
# CONFIG_GCOV_KERNEL and GCOV_PROFILE in kmod/Kbuild the kernel keeps the
# counters of every load of remotefd.ko (also of unloaded ones) under
# /sys/kernel/debug/gcov.  Each .gcda file goes to the console as base64
# between markers; vm/debug/coverage.sh turns them into per-file line
# coverage on the host.  Runs after the fuzzer, before kmemleak's last scan.
. /tests/lib.sh
[ -d /sys/kernel/debug/gcov ] || mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
if [ ! -d /sys/kernel/debug/gcov ]; then
	skip "gcov: this kernel has no CONFIG_GCOV_KERNEL: no coverage"
	exit 0
fi
n=0
for f in $(find /sys/kernel/debug/gcov -name '*.gcda' -path '*kmod*'); do
	echo "=== GCDA-BEGIN ${f#/sys/kernel/debug/gcov}"
	base64 < "$f"
	echo "=== GCDA-END"
	n=$((n + 1))
done
[ "$n" -gt 0 ] && pass "gcov: $n counter files of the module written to the console" ||
	fail "gcov: no .gcda of remotefd.ko under /sys/kernel/debug/gcov"
