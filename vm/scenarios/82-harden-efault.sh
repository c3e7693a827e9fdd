# SPDX-License-Identifier: GPL-2.0-only
# COLLECT of FILE events while another thread toggles the buffer's page
# read-only/read-write: an EFAULT leaves no fd in the caller's table and
# loses no event (each captured file collected exactly once).
# rfd-harden efault.
. /tests/lib.sh
rfd-harden efault
