# SPDX-License-Identifier: GPL-2.0-only
# A SIGKILLed process with 384 MiB touched (slow exit_mm under TCG), armed
# by pidfd in a tight loop until ESRCH: every arm that succeeded gets
# exactly one final event within 10 s (on >= 6.16 the exit tracepoint runs
# before exit_mm()).  rfd-harden exitwin.
. /tests/lib.sh
rfd-harden exitwin
