# SPDX-License-Identifier: GPL-2.0-only
# Watch limits: 256 per open file until the final events are collected
# (short-lived children armed in a loop, never collecting), 16 per target
# across open files, max_watches_per_user for uid 1000.  rfd-harden limits.
. /tests/lib.sh
if [ -w /proc/sys/kernel/yama/ptrace_scope ]; then
	echo 0 > /proc/sys/kernel/yama/ptrace_scope
fi
rfd-harden limits
