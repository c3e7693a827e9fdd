# SPDX-License-Identifier: GPL-2.0-only
# The permission matrix: module vs pidfd_getfd, Yama ptrace_scope 0, 1, 2, 3;
# then the target-handle matrix at scope 3 (46-handle-matrix has 0, 1, 2):
# handles attached at scope 0, used after the switch to 3.
# Scope 3 cannot be lowered again: this scenario runs last; scenarios
# numbered above 90 see ptrace_scope=3 (nobody may adopt anything).
. /tests/lib.sh
for s in 0 1 2; do
	if echo $s > /proc/sys/kernel/yama/ptrace_scope; then
		rfd-matrix "matrix"
	else
		fail "matrix: cannot set ptrace_scope=$s"
	fi
done
# Sets scope 0 for its early handles, then 3, and leaves it there.
rfd-handle matrix handle-matrix 3
if echo 3 > /proc/sys/kernel/yama/ptrace_scope; then
	rfd-matrix "matrix"
else
	fail "matrix: cannot set ptrace_scope=3"
fi
check "matrix: ptrace_scope 3 is sticky" sh -c '! echo 0 > /proc/sys/kernel/yama/ptrace_scope'
