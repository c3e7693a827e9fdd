# SPDX-License-Identifier: GPL-2.0-only
# THREADS x ITERS adoptions while the target churns its fd table; the memfd
# must be released afterwards (Shmem back to baseline).
. /tests/lib.sh
rfd-stress stress "${RFD_STRESS_THREADS:-4}" "${RFD_STRESS_ITERS:-50000}"
