// SPDX-License-Identifier: GPL-2.0-only
/*
 * A client of the ORIGINAL module, written against its ABI only: it does
 * not include the remotefd uapi header.  Prints the first bytes of the
 * adopted file.  Exit 0 when o_fd >= 0 and the fd is close-on-exec.
 *
 *   rfd-legacy-client PID FD [PROC_FD]
 * PROC_FD: use this already-open fd instead of opening /proc/remotefd;
 * then prints "ioctl: <errno name>" if the ioctl itself fails.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

struct remotefd_args {
	int i_pid;
	int i_fd;
	int o_fd;
};

#define REMOTEFD_IOCTL _IOWR(0x69, 0x11, struct remotefd_args)

int main(int argc, char **argv)
{
	struct remotefd_args a;
	char buf[33] = "";
	int fd;

	if (argc < 3)
		return 2;
	fd = argc > 3 ? atoi(argv[3]) : open("/proc/remotefd", O_RDWR);
	if (fd < 0) {
		perror("/proc/remotefd");
		return 1;
	}
	a.i_pid = atoi(argv[1]);
	a.i_fd = atoi(argv[2]);
	a.o_fd = 0;
	if (ioctl(fd, REMOTEFD_IOCTL, &a) < 0) {
		printf("ioctl: %s\n", strerrorname_np(errno));
		return 1;
	}
	if (a.o_fd < 0) {
		printf("o_fd: %d\n", a.o_fd);
		return 1;
	}
	if (pread(a.o_fd, buf, 32, 0) < 0)
		perror("pread");
	printf("o_fd: %d cloexec: %d data: %s\n", a.o_fd,
	       !!(fcntl(a.o_fd, F_GETFD) & FD_CLOEXEC), buf);
	return (fcntl(a.o_fd, F_GETFD) & FD_CLOEXEC) ? 0 : 1;
}
