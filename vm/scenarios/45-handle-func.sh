# SPDX-License-Identifier: GPL-2.0-only
# Target handles (REMOTEFD_IOC_ATTACH + the handle ioctls), functional:
# attach by pid and by pidfd (anon_inode name, fdinfo target_pid, O_CLOEXEC);
# REMOTEFD_FEAT_HANDLE in INFO; handle GETFD/GETFDS give pidfd_getfd's file
# (same st_dev/st_ino, shared offset); GETFDS mixing open and closed fds gives
# a result per entry; INVENTORY records equal fstat/fstatfs/F_GETFL/
# F_GET_SEALS/readlink(/proc/PID/fd/N)/fdinfo for memfds (sealed or not, a
# 249-char name truncated), /dev/shm files, a pipe, a socket, /dev/null, a
# regular file, a directory, an eventfd, an O_PATH fd and (6.12: system heap)
# a dma-buf; a 20 000-fd table read in few calls, every fd once; Shmem back to
# its baseline once the target exited and the handle is closed; the old
# REMOTEFD_IOC_GETFD and /proc/remotefd keep working while handles are open.
. /tests/lib.sh
rfd-handle func handle-func
