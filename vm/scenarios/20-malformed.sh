# SPDX-License-Identifier: GPL-2.0-only
# Malformed input: each request gets its errno, no oops (dmesg is checked).
. /tests/lib.sh
rfd-malformed malformed
