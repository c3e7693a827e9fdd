# SPDX-License-Identifier: GPL-2.0-only
# uid 1000 arms (retrying on EPERM) on its uid 1000 target while the target
# flips PR_SET_DUMPABLE 0/1; the target then exits non-dumpable: every
# watch must end DENIED with nothing captured.  rfd-harden dumpable.
. /tests/lib.sh
if [ -w /proc/sys/kernel/yama/ptrace_scope ]; then
	echo 0 > /proc/sys/kernel/yama/ptrace_scope
fi
rfd-harden dumpable
