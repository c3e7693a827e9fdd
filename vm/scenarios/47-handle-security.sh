# SPDX-License-Identifier: GPL-2.0-only
# Target handles: every change since the check is noticed (run as root, Yama
# ptrace_scope 0).  Exec after attach -> ESTALE (GETFD, GETFDS, INVENTORY;
# the fd is still open, pidfd_getfd still works), a new attach works; target
# non-dumpable after attach -> EPERM at once for uid 1000, OK for root, OK
# again once dumpable; target setresuid(1001) without exec (it and the
# uid-1000 caller hold CAP_SETUID/CAP_SETGID only, so the first attach is
# allowed) -> EPERM for uid 1000 (also once dumpable again: only its creds
# differ), OK for root; a root target dropping to 1000 -> OK for root; root
# attaches then setresuid(1000|1001) -> answer equals pidfd_getfd's (EPERM
# for a root target); a handle passed over SCM_RIGHTS (root or uid 1000
# attacher; root, uid-1000 dumpable and non-dumpable targets; receivers 0,
# 1000, 1001) -> the receiver's pidfd_getfd answer; a killed target (zombie,
# reaped) -> ESRCH; pid reuse forced through ns_last_pid, same fd number ->
# the old handles ESRCH, a fresh attach reaches the new process; a process
# whose main thread exited but whose other threads live on: a handle attached
# before, and ATTACH by a live thread's tid, reach its files as
# REMOTEFD_IOC_GETFD by that tid does; ATTACH by a non-leader thread id
# gives a handle on its process; Yama scope 1 with PR_SET_PTRACER_ANY, then
# revoked: the handle answers EPERM 1.2 s later (the 1 s re-check).
. /tests/lib.sh
echo 0 > /proc/sys/kernel/yama/ptrace_scope 2>/dev/null
rfd-handle security handle-security
