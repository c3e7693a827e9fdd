# SPDX-License-Identifier: GPL-2.0-only
# Target handles under stress: THREADS x ITERS operations (attach+close,
# GETFD, GETFDS of 64, INVENTORY of 64) against a target that churns memfds
# and re-execs itself every 150 ms (same pid: ESTALE, attach again).  Only
# OK/EBADF/ESTALE/EAGAIN, never a wrong file; afterwards Shmem, the slab
# caches filp/task_struct/cred_jar/mm_struct (/proc/slabinfo; /proc/meminfo
# Slab if absent) and the fd table back to their baselines.
# The handle matrix at scope 3 (sticky) runs in 90-yama-matrix, the last
# scenario.
. /tests/lib.sh
rfd-handle stress handle-stress "${RFD_STRESS_THREADS:-4}" "${RFD_STRESS_ITERS:-50000}"
