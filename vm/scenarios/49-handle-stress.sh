# Target handles under stress: THREADS x ITERS operations (attach+close,
# GETFD, GETFDS of 64, INVENTORY of 64) against a target that churns memfds
# and re-execs itself every 150 ms (same pid: ESTALE, attach again).  Only
# OK/EBADF/ESTALE/EAGAIN, never a wrong file; afterwards Shmem, the slab
# caches filp/task_struct/cred_jar/mm_struct (/proc/slabinfo; /proc/meminfo
# Slab if absent) and the fd table back to their baselines.
# Then, only if no later scenario would suffer from it (ptrace_scope 3 is
# sticky): the handle matrix at scope 3.
. /tests/lib.sh
rfd-handle stress handle-stress "${RFD_STRESS_THREADS:-4}" "${RFD_STRESS_ITERS:-50000}"
later=
for f in /tests/scenarios/*.sh; do
	n=$(basename "$f" | cut -d- -f1)
	[ "$n" -gt 49 ] 2>/dev/null && later="$later $(basename "$f" .sh)"
done
if [ -z "$later" ]; then
	rfd-handle matrix handle-matrix 3
else
	skip "handle-matrix scope 3: later scenarios run (${later# }); scope 3 cannot be undone (run RFD_ONLY=\"45 46 47 48 49\" to cover it)"
fi
