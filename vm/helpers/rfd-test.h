/* SPDX-License-Identifier: GPL-2.0-only */
/* Small helpers shared by the VM test programs (statically linked). */
#ifndef RFD_TEST_H
#define RFD_TEST_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/remotefd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

static inline int sys_pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static inline int sys_pidfd_getfd(int pidfd, int fd)
{
	return (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
}

/* "OK" for r >= 0, else the errno name, in a static rotating buffer. */
static inline const char *res_name(int r)
{
	static char buf[4][32];
	static int i;
	char *b = buf[i++ & 3];

	if (r >= 0)
		snprintf(b, 32, "OK");
	else
		snprintf(b, 32, "%s", strerrorname_np(-r) ? strerrorname_np(-r) : "E?");
	return b;
}

/* Module GETFD; returns the new fd or -errno. */
static inline int rfd_getfd(int dev, int target, int fd, unsigned int flags,
			    unsigned int fd_flags)
{
	struct remotefd_getfd req;
	int r;

	memset(&req, 0, sizeof(req));
	req.target = target;
	req.fd = fd;
	req.flags = flags;
	req.fd_flags = fd_flags;
	r = ioctl(dev, REMOTEFD_IOC_GETFD, &req);
	return r < 0 ? -errno : r;
}

/* Original ABI; returns o_fd (>= 0) or -EPERM when o_fd == -1, -errno if
 * the ioctl itself failed. */
static inline int rfd_legacy(int proc, int pid, int fd)
{
	struct remotefd_legacy_args a = { .i_pid = pid, .i_fd = fd, .o_fd = -2 };

	if (ioctl(proc, REMOTEFD_LEGACY_IOC, &a) < 0)
		return -errno;
	return a.o_fd >= 0 ? a.o_fd : -EPERM;
}

static inline int pidfd_getfd_res(pid_t pid, int fd)
{
	int pfd = sys_pidfd_open(pid), r;

	if (pfd < 0)
		return -errno;
	r = sys_pidfd_getfd(pfd, fd);
	r = r < 0 ? -errno : r;
	close(pfd);
	return r;
}

static inline int same_file(int a, int b)
{
	struct stat sa, sb;

	if (fstat(a, &sa) || fstat(b, &sb))
		return 0;
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static inline int fd_count(void)
{
	int n = 0, fd;

	for (fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			n++;
	return n;
}

/* A /proc/meminfo field ("Shmem", "AnonPages"), kB; -1 if absent. */
static inline long meminfo_kb(const char *key)
{
	char line[256];
	long v = -1;
	size_t n = strlen(key);
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':')
			v = atol(line + n + 1);
	fclose(f);
	return v;
}

static inline long shmem_kb(void)
{
	return meminfo_kb("Shmem");
}

/* REMOTEFD_IOC_ATTACH: the handle fd, or -errno. */
static inline int rfd_attach(int d, int target, unsigned int flags, unsigned int fd_flags)
{
	struct remotefd_attach a;
	int r;

	memset(&a, 0, sizeof(a));
	a.target = target;
	a.flags = flags;
	a.fd_flags = fd_flags;
	r = ioctl(d, REMOTEFD_IOC_ATTACH, &a);
	return r < 0 ? -errno : r;
}

/* REMOTEFD_HANDLE_IOC_GETFD: the new fd, or -errno. */
static inline int h_getfd(int h, int fd, unsigned int fd_flags)
{
	struct remotefd_handle_getfd g;
	int r;

	memset(&g, 0, sizeof(g));
	g.fd = fd;
	g.fd_flags = fd_flags;
	r = ioctl(h, REMOTEFD_HANDLE_IOC_GETFD, &g);
	return r < 0 ? -errno : r;
}

static int n_pass, n_fail;

static inline void __attribute__((format(printf, 2, 3)))
check(int ok, const char *fmt, ...)
{
	va_list ap;

	printf(ok ? "PASS " : "FAIL ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (ok)
		n_pass++;
	else
		n_fail++;
}

static inline void die(const char *what)
{
	printf("FAIL %s: %s\n", what, strerror(errno));
	fflush(stdout);
	exit(2);
}

/* Drop to uid/gid (both the same number), no supplementary groups. */
static inline void drop_to(uid_t uid)
{
	if (setgroups(0, NULL) || setresgid(uid, uid, uid) ||
	    setresuid(uid, uid, uid))
		die("drop privileges");
}

/* ---- capture on exit: requests (0 or -errno) ---------------------------- */

static inline int watch_req(int dev, int target, unsigned int flags, const int *fds,
		     unsigned int nfds)
{
	struct remotefd_watch w;

	memset(&w, 0, sizeof(w));
	w.target = target;
	w.flags = flags;
	w.nfds = nfds;
	w.fds = (uintptr_t)fds;
	return ioctl(dev, REMOTEFD_IOC_WATCH, &w) < 0 ? -errno : 0;
}

static inline int collect(int dev, struct remotefd_capture *c, unsigned int fd_flags)
{
	memset(c, 0, sizeof(*c));
	c->fd_flags = fd_flags;
	return ioctl(dev, REMOTEFD_IOC_COLLECT, c) < 0 ? -errno : 0;
}

static inline int readable(int dev, int ms)
{
	struct pollfd p = { .fd = dev, .events = POLLIN };

	return poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

/* ---- the permission matrix: what pidfd_getfd(2) answers ------------------ */

/* Callers of the matrix, as rfd-matrix, rfd-maps and rfd-handle set them up. */
enum rfd_caller { ROOT, SAME, PARENT, OTHER, MIXED, N_CALLERS };
static const char *const rfd_caller_name[] = {
	"root", "same-uid-nondescendant", "same-uid-parent", "other-uid",
	"ruid-other-euid-same",
};

/* Whether @c may take a dumpable (or @nondump) target at Yama scope @scope. */
static inline int rfd_expected_ok(int scope, enum rfd_caller c, int nondump)
{
	if (scope >= 3)
		return 0;
	switch (c) {
	case ROOT:
		return 1;
	case SAME:
		return !nondump && scope == 0;
	case PARENT:
		return !nondump && scope <= 1;
	default:
		return 0;	/* real uid differs: REALCREDS says no */
	}
}

#endif
