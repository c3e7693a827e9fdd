# SPDX-License-Identifier: GPL-2.0-only
# Concurrency fuzzer (issue 11, item 4; debug kernel: vm/debug/scenarios):
# vm/helpers/rfd-fuzz.c for RFD_FUZZ_SECONDS (the harness passes 180 on the
# debug kernel) with seed RFD_FUZZ_SEED (printed; random when unset).
# Then: every fuzzer process and target gone, rmmod succeeds (nothing pins
# the module: captures, SCM_RIGHTS in flight, io_uring fixed files), and
# filp, cred_jar ("cred" since v6.8), task_struct and mm_struct counts in /proc/slabinfo are
# back to their baseline (after flushing per-cpu slabs; tolerance +32 filp
# and cred_jar, +8 mm_struct and task_struct net of live threads).  kmemleak: 99-kmemleak-end.
. /tests/lib.sh
echo 0 > /proc/sys/kernel/yama/ptrace_scope
# KCOV's control file (the fuzzer's coverage feedback) lives in debugfs.
[ -e /sys/kernel/debug/kcov ] || mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
kcov=$([ -e /sys/kernel/debug/kcov ] && echo yes || echo no)
case "$KVER" in
*-rfd-debug) [ "$kcov" = yes ] || fail "fuzz: the debug kernel has no /sys/kernel/debug/kcov (CONFIG_KCOV)" ;;
esac
# slabs: "cache active_objs" for the four caches, after flushing the
# per-cpu slabs (SLUB counts objects of cpu slabs as active otherwise), and
# "tasks N" (live threads: kworkers and io_uring workers come and go, so
# task_struct is compared net of them).
slabs() {
	for c in filp cred_jar cred task_struct mm_struct; do
		echo 1 > /sys/kernel/slab/$c/shrink 2>/dev/null
	done
	awk '$1 == "filp" || $1 == "cred_jar" || $1 == "cred" || $1 == "task_struct" || $1 == "mm_struct" { print $1, $2 }' /proc/slabinfo
	echo "tasks $(ls -d /proc/[0-9]*/task/[0-9]* | wc -l)"
}
settle() { echo 3 > /proc/sys/vm/drop_caches; sleep 3; echo 3 > /proc/sys/vm/drop_caches; sleep 2; }
settle
slabs > /tmp/slab.before
echo "# fuzz: slab baseline: $(tr '\n' ' ' < /tmp/slab.before)"
export RFD_FUZZ_SECONDS=${RFD_FUZZ_SECONDS:-20}
[ -n "${RFD_FUZZ_SEED:-}" ] && export RFD_FUZZ_SEED
rfd-fuzz
rc=$?
[ $rc -eq 0 ] || fail "fuzz: rfd-fuzz exit status $rc"
leftover=$(ps -o comm | grep -cE '^(rfd-fuzz|exe)$')
[ "$leftover" -eq 0 ] && pass "fuzz: every fuzzer and target process exited" || fail "fuzz: $leftover rfd-fuzz processes left"

# rmmod: unix GC and io_uring teardown are asynchronous: retry a while.
ok=0
for i in $(seq 1 30); do
	if rmmod remotefd 2>/tmp/rmmod.err; then ok=1; break; fi
	sleep 2
done
if [ $ok = 1 ]; then
	pass "fuzz: rmmod after the fuzzer (attempt $i)"
else
	fail "fuzz: rmmod after the fuzzer: $(cat /tmp/rmmod.err) (60 s of retries; refcnt $(cat /sys/module/remotefd/refcnt 2>/dev/null))"
fi
settle
slabs > /tmp/slab.after
echo "# fuzz: slab after: $(tr '\n' ' ' < /tmp/slab.after)"
# tolerance: filp, cred_jar +32; mm_struct +8; task_struct +8 net of live threads
bad=$(awk 'NR == FNR { b[$1] = $2; next } { a[$1] = $2 }
	END {
		for (c in b) n++
		if (n < 5) { printf "MISSING(%d of 4 caches listed) ", n - 1; exit }
		for (c in b) {
			if (c == "tasks") continue
			tol = (c == "filp" || c == "cred_jar" || c == "cred") ? 32 : 8
			d = a[c] - b[c]
			if (c == "task_struct") d -= a["tasks"] - b["tasks"]
			if (d > tol) printf "%s %d->%d (+%d net) ", c, b[c], a[c], d
		}
	}' /tmp/slab.before /tmp/slab.after)
case "$bad" in
MISSING*) case "$KVER" in
	*-rfd-debug) fail "fuzz: /proc/slabinfo lacks a cache: $bad" ;;
	*) skip "fuzz: slab counts: a cache is merged on this kernel (no slab_nomerge): $bad" ;;
	esac ;;
'') pass "fuzz: slab counts back to baseline (filp, cred_jar, task_struct, mm_struct)" ;;
*) fail "fuzz: slab counts above baseline: $bad" ;;
esac
lsmod | grep -q '^remotefd' || insmod /lib/modules/remotefd.ko legacy_proc=1 || fail "fuzz: insmod again"
