# SPDX-License-Identifier: GPL-2.0-only
# Adoptions racing with a target that exec()s in a loop: the check-then-lock
# sequence must notice the exec (same mm required), never hand out a wrong
# file or oops.
. /tests/lib.sh
rfd-execrace execrace 2 "${RFD_EXECRACE_ITERS:-5000}"
