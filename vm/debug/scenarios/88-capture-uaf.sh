# SPDX-License-Identifier: GPL-2.0-only
# Issue 19: COLLECT of a watch's final event racing rfd_deliver's wake-up,
# then close() freeing the watcher.  Before the fix (the wake-up outside the
# watcher's lock) KASAN reported a slab-use-after-free in __wake_up from
# rfd_deliver after about a minute with 2 vCPUs; the harness's dmesg check
# fails the run on any KASAN line.  Needs 2 vCPUs (RFD_DEBUG_SMP).
. /tests/lib.sh
[ "$(grep -c ^processor /proc/cpuinfo)" -ge 2 ] ||
	skip "capture-uaf: one CPU, the race cannot happen (RFD_DEBUG_SMP=2)"
rfd-kinds uaf "${RFD_UAF_SECONDS:-120}"
