// SPDX-License-Identifier: GPL-2.0-only
/*
 * rfd-malformed: malformed and corner-case requests, each with its errno.
 *   rfd-malformed LABEL      (run as root)
 */
#include "rfd-test.h"
#include <limits.h>
#include <signal.h>

static int dev, proc;

static int raw_getfd(struct remotefd_getfd *req)
{
	int r = ioctl(dev, REMOTEFD_IOC_GETFD, req);

	return r < 0 ? -errno : r;
}

static void expect(const char *label, const char *what, int r, int want_errno)
{
	check(r == -want_errno, "%s %s: %s (want %s)", label, what,
	      res_name(r), res_name(-want_errno));
	if (r >= 0)
		close(r);
}

static void expect_legacy(const char *label, const char *what, int pid, int fd)
{
	struct remotefd_legacy_args a = { .i_pid = pid, .i_fd = fd, .o_fd = 7 };
	int r = ioctl(proc, REMOTEFD_LEGACY_IOC, &a);

	check(r == 0 && a.o_fd == -1, "%s legacy %s: ioctl %d o_fd %d",
	      label, what, r, a.o_fd);
	if (a.o_fd >= 0 && a.o_fd != 7)
		close(a.o_fd);
}

int main(int argc, char **argv)
{
	const char *label = argc > 1 ? argv[1] : "malformed";
	struct remotefd_getfd req;
	int memfd, closedfd, pfd, zpidfd, gone_pidfd, opath, r, before, p[2];
	pid_t tpid, zpid, gpid;
	char *ro;

	setvbuf(stdout, NULL, _IOLBF, 0);
	dev = open("/dev/remotefd", O_RDWR | O_CLOEXEC);
	proc = open("/proc/remotefd", O_RDWR | O_CLOEXEC);
	if (dev < 0 || proc < 0)
		die("open");
	memfd = memfd_create("self", 0);
	if (memfd < 0)
		die("memfd_create");

	/* target: holds memfd (inherited) and has a closed fd number */
	closedfd = open("/dev/null", O_RDONLY);
	if (pipe(p))
		die("pipe");
	tpid = fork();
	if (!tpid) {
		close(closedfd);
		write(p[1], "x", 1);
		for (;;)
			pause();
	}
	read(p[0], &r, 1);
	close(closedfd);	/* ours too: not inherited by the checks below */

	/* zombie: exited, not reaped */
	zpid = fork();
	if (!zpid)
		_exit(0);
	zpidfd = sys_pidfd_open(zpid);
	usleep(200000);
	/* gone: exited and reaped, pidfd kept */
	gpid = fork();
	if (!gpid)
		_exit(0);
	gone_pidfd = sys_pidfd_open(gpid);
	waitpid(gpid, NULL, 0);

	before = fd_count();

	expect(label, "pid 0", rfd_getfd(dev, 0, memfd, 0, 0), EINVAL);
	expect(label, "pid -1", rfd_getfd(dev, -1, memfd, 0, 0), EINVAL);
	expect(label, "pid INT_MAX", rfd_getfd(dev, INT_MAX, 0, 0, 0), ESRCH);
	expect(label, "kernel thread (pid 2)", rfd_getfd(dev, 2, 0, 0, 0),
	       EPERM);
	pfd = sys_pidfd_open(2);
	expect(label, "kernel thread by pidfd",
	       rfd_getfd(dev, pfd, 0, REMOTEFD_TARGET_PIDFD, 0), EPERM);
	close(pfd);
	expect(label, "zombie by pid", rfd_getfd(dev, zpid, 0, 0, 0), ESRCH);
	expect(label, "zombie by pidfd",
	       rfd_getfd(dev, zpidfd, 0, REMOTEFD_TARGET_PIDFD, 0), ESRCH);
	expect(label, "reaped process by pidfd",
	       rfd_getfd(dev, gone_pidfd, 0, REMOTEFD_TARGET_PIDFD, 0), ESRCH);

	r = rfd_getfd(dev, getpid(), memfd, 0, 0);
	check(r >= 0 && r != memfd && same_file(r, memfd),
	      "%s self: %s, same file", label, res_name(r));
	if (r >= 0)
		close(r);

	expect(label, "fd -1", rfd_getfd(dev, tpid, -1, 0, 0), EBADF);
	expect(label, "fd INT_MIN", rfd_getfd(dev, tpid, INT_MIN, 0, 0), EBADF);
	expect(label, "fd beyond the table (100000)",
	       rfd_getfd(dev, tpid, 100000, 0, 0), EBADF);
	expect(label, "fd INT_MAX", rfd_getfd(dev, tpid, INT_MAX, 0, 0), EBADF);
	expect(label, "closed fd", rfd_getfd(dev, tpid, closedfd, 0, 0), EBADF);
	check(pidfd_getfd_res(tpid, closedfd) == -EBADF &&
	      pidfd_getfd_res(tpid, 100000) == -EBADF,
	      "%s pidfd_getfd agrees on closed/beyond fds (EBADF)", label);
	r = rfd_getfd(dev, tpid, memfd, 0, 0);
	check(r >= 0 && same_file(r, memfd), "%s inherited memfd: %s", label,
	      res_name(r));
	if (r >= 0)
		close(r);

	expect(label, "unknown flag 1<<1", rfd_getfd(dev, tpid, memfd, 2, 0),
	       EINVAL);
	expect(label, "unknown flag 1<<31",
	       rfd_getfd(dev, tpid, memfd, 1u << 31, 0), EINVAL);
	expect(label, "fd_flags O_NONBLOCK",
	       rfd_getfd(dev, tpid, memfd, 0, O_NONBLOCK), EINVAL);
	expect(label, "fd_flags O_CLOEXEC|O_RDWR",
	       rfd_getfd(dev, tpid, memfd, 0, O_CLOEXEC | O_RDWR), EINVAL);

	memset(&req, 0, sizeof(req));
	req.target = tpid;
	req.fd = memfd;
	req.reserved[0] = 1;
	expect(label, "reserved[0] != 0", raw_getfd(&req), EINVAL);
	req.reserved[0] = 0;
	req.reserved[1] = 1ull << 63;
	expect(label, "reserved[1] != 0", raw_getfd(&req), EINVAL);

	r = ioctl(dev, REMOTEFD_IOC_GETFD, (void *)1);
	expect(label, "GETFD bad pointer 0x1", r < 0 ? -errno : r, EFAULT);
	r = ioctl(dev, REMOTEFD_IOC_GETFD, NULL);
	expect(label, "GETFD NULL", r < 0 ? -errno : r, EFAULT);
	r = ioctl(dev, REMOTEFD_IOC_INFO, NULL);
	expect(label, "INFO NULL", r < 0 ? -errno : r, EFAULT);
	ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	r = ioctl(dev, REMOTEFD_IOC_INFO, ro);
	expect(label, "INFO read-only buffer", r < 0 ? -errno : r, EFAULT);

	r = ioctl(dev, _IO(REMOTEFD_IOC_MAGIC, 0x7f), 0);
	expect(label, "unknown command", r < 0 ? -errno : r, ENOTTY);
	r = ioctl(dev, _IOW(REMOTEFD_IOC_MAGIC, 0x01, int), &req);
	expect(label, "GETFD number with a wrong size", r < 0 ? -errno : r,
	       ENOTTY);
	r = ioctl(dev, REMOTEFD_LEGACY_IOC, &req);
	expect(label, "legacy command on /dev/remotefd", r < 0 ? -errno : r,
	       ENOTTY);
	r = ioctl(proc, REMOTEFD_IOC_GETFD, &req);
	expect(label, "GETFD on /proc/remotefd", r < 0 ? -errno : r, ENOTTY);

	expect(label, "pidfd -1",
	       rfd_getfd(dev, -1, memfd, REMOTEFD_TARGET_PIDFD, 0), EBADF);
	expect(label, "pidfd that is a memfd",
	       rfd_getfd(dev, memfd, memfd, REMOTEFD_TARGET_PIDFD, 0), EBADF);
	expect(label, "pidfd that is /proc/remotefd",
	       rfd_getfd(dev, proc, memfd, REMOTEFD_TARGET_PIDFD, 0), EBADF);
	opath = open("/proc/self", O_PATH);
	expect(label, "pidfd that is an O_PATH fd",
	       rfd_getfd(dev, opath, memfd, REMOTEFD_TARGET_PIDFD, 0), EBADF);
	close(opath);

	expect_legacy(label, "pid 0", 0, memfd);
	expect_legacy(label, "pid -1", -1, memfd);
	expect_legacy(label, "pid INT_MAX", INT_MAX, memfd);
	expect_legacy(label, "kernel thread", 2, 0);
	expect_legacy(label, "zombie", zpid, 0);
	expect_legacy(label, "fd -1", tpid, -1);
	expect_legacy(label, "closed fd", tpid, closedfd);
	r = ioctl(proc, REMOTEFD_LEGACY_IOC, (void *)1);
	expect(label, "legacy bad pointer", r < 0 ? -errno : r, EFAULT);
	r = ioctl(proc, _IO(0x69, 0x12), 0);
	expect(label, "legacy unknown command", r < 0 ? -errno : r, ENOTTY);
	{
		/* read-only args: EFAULT and no fd installed */
		struct remotefd_legacy_args *a = mmap(NULL, 4096,
			PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			-1, 0);
		int n0;

		a->i_pid = tpid;
		a->i_fd = memfd;
		a->o_fd = 0;
		mprotect(a, 4096, PROT_READ);
		n0 = fd_count();
		r = ioctl(proc, REMOTEFD_LEGACY_IOC, a);
		check(r < 0 && errno == EFAULT && fd_count() == n0,
		      "%s legacy read-only args: %s, no fd installed", label,
		      res_name(r < 0 ? -errno : r));
	}

	check(fd_count() == before, "%s no fd leaked by failed requests (%d -> %d)",
	      label, before, fd_count());

	kill(tpid, SIGKILL);
	waitpid(tpid, NULL, 0);
	waitpid(zpid, NULL, 0);
	printf("# %s: %d passed, %d failed\n", label, n_pass, n_fail);
	return n_fail ? 1 : 0;
}
