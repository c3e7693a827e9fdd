// SPDX-License-Identifier: Apache-2.0
/* pidfd, fcntl, fstatfs, ioctl, close_range and spawn-closefrom wrappers; errno names. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "CShims.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef F_ADD_SEALS
#define F_ADD_SEALS 1033
#define F_GET_SEALS 1034
#endif

const char *rfd_errno_name(int err)
{
	return strerrorname_np(err);
}

int rfd_pidfd_open(pid_t pid, unsigned int flags)
{
	return (int)syscall(SYS_pidfd_open, pid, flags);
}

int rfd_pidfd_getfd(int pidfd, int targetfd, unsigned int flags)
{
	return (int)syscall(SYS_pidfd_getfd, pidfd, targetfd, flags);
}

int rfd_get_seals(int fd) { return fcntl(fd, F_GET_SEALS); }
int rfd_add_seals(int fd, int seals) { return fcntl(fd, F_ADD_SEALS, seals); }
int rfd_get_fl(int fd) { return fcntl(fd, F_GETFL); }
int rfd_set_fd_flags(int fd, int flags) { return fcntl(fd, F_SETFD, flags); }
int rfd_dup_cloexec_above(int fd, int minimum) { return fcntl(fd, F_DUPFD_CLOEXEC, minimum); }

int rfd_open_link_handle(int dir, const char *name)
{
	return openat(dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
}

int rfd_cloexec_from(unsigned int first)
{
	return (int)syscall(SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC);
}

int rfd_spawn_closefrom(posix_spawn_file_actions_t *actions, int from)
{
	return posix_spawn_file_actions_addclosefrom_np(actions, from);
}

int rfd_fstatfs(int fd, unsigned long *type, long *block_size)
{
	struct statfs sfs;
	int rc = fstatfs(fd, &sfs);

	if (rc == 0) {
		*type = (unsigned long)sfs.f_type;
		*block_size = (long)sfs.f_bsize;
	}
	return rc;
}

int rfd_ioctl_ptr(int fd, unsigned long request, void *arg)
{
	return ioctl(fd, request, arg);
}
