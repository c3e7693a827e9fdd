# SPDX-License-Identifier: GPL-2.0-only
# The module's GETMAP (issue 14): the file behind a mapping.
#   maps-malformed  addresses: a mapped memfd whose fd was closed (the out
#                   fields: kind, range, pgoff, prot, shared), inside it, its
#                   last byte, the page after it, unmapped, 0, anonymous
#                   shared memory (a shmem file: returned), anonymous private
#                   memory, the heap, the stack, [vvar], [vdso], kernel
#                   addresses, ~0, non-canonical; reserved fields, fd_flags,
#                   target flags, a handle given a target, NULL; a dead
#                   target; by pid, by pidfd and through a handle; no fd leaked
#   maps-matrix     GETMAP by pid, by pidfd and through a handle answer as
#                   pidfd_getfd(2) (for the target's fd of the same memfd) in
#                   every cell: root / same uid non-descendant / same uid
#                   parent / other uid / ruid != euid x dumpable or not, at
#                   Yama ptrace_scope 0, 1 and 2 (3 is sticky: 90-yama-matrix).
#                   Leaves ptrace_scope at 0.
. /tests/lib.sh
rfd-maps malformed maps-malformed
if [ -w /proc/sys/kernel/yama/ptrace_scope ]; then
	for s in 0 1 2; do
		if echo $s > /proc/sys/kernel/yama/ptrace_scope; then
			rfd-maps matrix maps-matrix
		else
			fail "maps-matrix: cannot set ptrace_scope=$s"
		fi
	done
	echo 0 > /proc/sys/kernel/yama/ptrace_scope
	check "maps-matrix: ptrace_scope back to 0" sh -c '[ "$(cat /proc/sys/kernel/yama/ptrace_scope)" = 0 ]'
else
	fail "maps-matrix: no Yama (/proc/sys/kernel/yama/ptrace_scope), expected on every Debian kernel"
fi
