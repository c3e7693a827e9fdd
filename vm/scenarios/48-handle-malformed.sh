# SPDX-License-Identifier: GPL-2.0-only
# Target handles, malformed input: >= 20 cases each for ATTACH, handle GETFD,
# GETFDS and INVENTORY (NULL, 8, a kernel address, structs straddling an
# unmapped page, read-only output, zero/huge counts, reserved fields, bad
# flags, negative and huge fds and start_fd, wrong fd types used as a handle
# or as a pidfd, wrong command numbers/sizes/directions, a dead target's
# handle, the limits themselves); each its errno, no fd leaked, no oops (the
# harness checks dmesg).
. /tests/lib.sh
rfd-handle malformed handle-malformed
