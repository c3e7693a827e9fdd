# SPDX-License-Identifier: GPL-2.0-only
# Fault injection (issue 11, item 3; debug kernel: vm/debug/scenarios).
# failslab and fail_page_alloc, aimed at rfd-fault's calling process only:
#  1. systematic: for each request (GETFD by pid and pidfd, the original
#     /proc/remotefd ABI, ATTACH, handle GETFD/GETFDS/INVENTORY/GETMAP,
#     GETMAP, WATCH, COLLECT, UNWATCH) every allocation of one call is
#     failed in turn (/proc/thread-self/fail-nth: 1, 2, ... until the call
#     has no such point);
#  2. random: /proc/thread-self/make-it-fail set around each call,
#     task-filter Y, probability RFD_FAULT_PROB (25) %, interval 1, times -1,
#     RFD_FAULT_ITERS (100) calls per request.
# Each call must succeed with the right file or fail with an errno, the
# caller's fd table unchanged (set of fds and their files), and the same
# call without a fault must work afterwards.  Leaks: 99-kmemleak-end.
#
# A failed vmalloc/page allocation makes the kernel print its warn_alloc
# report (with a Call Trace): expected here, so the run is bracketed for
# the harness and this scenario checks the window itself: any other
# report (BUG:, WARNING:, KASAN, UBSAN, lockdep, ...) fails.
. /tests/lib.sh
D=/sys/kernel/debug
grep -q " $D " /proc/mounts || mount -t debugfs debugfs $D 2>/dev/null
if [ ! -d $D/failslab ] || [ ! -d $D/fail_page_alloc ] || [ ! -e /proc/self/fail-nth ]; then
	skip "faultinject: ======== NO FAULT INJECTION in this kernel (no $D/failslab, fail_page_alloc or fail-nth): run it on the debug kernel: scripts/debug-kernel.sh --test ========"
	exit 0
fi
echo 0 > /proc/sys/kernel/yama/ptrace_scope
prob=${RFD_FAULT_PROB:-25}
iters=${RFD_FAULT_ITERS:-100}
setattr() { # ATTR VALUE (both)
	for f in failslab fail_page_alloc; do echo "$2" > $D/$f/$1; done
}
setattr probability 0
setattr interval 1
setattr times -1
setattr space 0
setattr verbose 0
setattr task-filter Y
echo N > $D/failslab/ignore-gfp-wait
echo N > $D/fail_page_alloc/ignore-gfp-wait
echo N > $D/fail_page_alloc/ignore-gfp-highmem
echo 0 > $D/fail_page_alloc/min-order

expect_warning_begin "faultinject: warn_alloc reports of injected failures"
echo "rfd-test: faultinject-begin" > /dev/kmsg
t0=$(date +%s)
for op in $(rfd-fault list); do
	rfd-fault systematic "$op"
done
t1=$(date +%s)
setattr probability "$prob"
for op in $(rfd-fault list); do
	rfd-fault random "$op" "$iters"
done
setattr probability 0
setattr task-filter N
t2=$(date +%s)
echo "rfd-test: faultinject-end" > /dev/kmsg
expect_warning_end "faultinject"
echo "# faultinject: systematic $((t1 - t0)) s, random $((t2 - t1)) s"

# The window's kernel log: warn_alloc reports are expected, nothing else.
dmesg | sed -n '/rfd-test: faultinject-begin/,/rfd-test: faultinject-end/p' > /tmp/fi.log
nalloc=$(grep -cE 'page allocation failure|vmalloc error' /tmp/fi.log)
BAD='BUG:|WARNING:|Oops|[Rr]efcount|lockdep|general protection|UBSAN|KASAN|circular locking|sleeping function called from invalid context|scheduling while atomic|soft lockup|stall|hung task|blocked for more than|ODEBUG:|list_add corruption|list_del corruption'
if grep -E "$BAD" /tmp/fi.log > /tmp/fi.bad; then
	sed 's/^/# fi-kernel: /' /tmp/fi.bad | head -n 40
	grep -B2 -A40 -m1 -E "$BAD" /tmp/fi.log | sed 's/^/# fi-report: /'
	fail "faultinject: kernel report during fault injection: $(head -n 1 /tmp/fi.bad)"
else
	pass "faultinject: no kernel report but $nalloc warn_alloc messages of injected failures"
fi
