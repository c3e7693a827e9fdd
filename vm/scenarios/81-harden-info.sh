# SPDX-License-Identifier: GPL-2.0-only
# REMOTEFD_IOC_INFO: abi_version and features, printed as a note; the
# LEGACY_PROC bit agrees with /proc/remotefd (rfd-harden info).
. /tests/lib.sh
rfd-harden info
