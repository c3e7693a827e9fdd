# SPDX-License-Identifier: GPL-2.0-only
# Exit latency of a process with a 500 000-slot fd table and 4 watches of
# 1024 closed fds, against the same process unwatched (medians, same boot):
# the exit hook must not scan the table once per armed fd (ratio < 3).
# Every armed fd comes back NOT_OPEN, then EXIT.  rfd-harden stall.
. /tests/lib.sh
rfd-harden stall
