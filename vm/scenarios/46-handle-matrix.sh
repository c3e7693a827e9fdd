# SPDX-License-Identifier: GPL-2.0-only
# Target handles in the Yama permission matrix: callers root / same uid
# non-descendant / same uid parent / other uid / real uid != effective uid x
# dumpable / non-dumpable target, at ptrace_scope 0, 1 and 2.  In every cell
# attach (by pid and by pidfd) and the three handle ioctls answer as
# pidfd_getfd(2), and so does a handle attached at scope 0 and used 1.2 s
# after the switch (the re-check of a check older than 1 s).  Scope 3 cannot
# be lowered again: 90-yama-matrix, the last scenario, covers it.  Leaves
# ptrace_scope at 0.
. /tests/lib.sh
for s in 0 1 2; do
	rfd-handle matrix handle-matrix "$s"
done
echo 0 > /proc/sys/kernel/yama/ptrace_scope
check "handle-matrix: ptrace_scope back to 0" sh -c '[ "$(cat /proc/sys/kernel/yama/ptrace_scope)" = 0 ]'
