// SPDX-License-Identifier: GPL-2.0-only
/*
 * rfd-basic: adopt a memfd and a /dev/shm file by pid and by pidfd through
 * /dev/remotefd and /proc/remotefd; check contents, identity with what
 * pidfd_getfd(2) returns, and O_CLOEXEC.  Also built -m32 (compat_ioctl).
 *
 *   rfd-basic LABEL PID MEMFD SHMFD [--no-legacy]
 */
#include "rfd-test.h"

static int flags_of(int fd)
{
	return fcntl(fd, F_GETFD);
}

static void one(const char *label, int dev, int pid, int pidfd, int fd,
		const char *kind, const char *text, int by_pidfd, int cloexec)
{
	char buf[64] = "";
	int ref = sys_pidfd_getfd(pidfd, fd);
	int r = rfd_getfd(dev, by_pidfd ? pidfd : pid, fd,
			  by_pidfd ? REMOTEFD_TARGET_PIDFD : 0,
			  cloexec ? O_CLOEXEC : 0);
	const char *how = by_pidfd ? "pidfd" : "pid";

	if (r < 0) {
		check(0, "%s %s by %s%s: %s", label, kind, how,
		      cloexec ? " cloexec" : "", res_name(r));
		goto out;
	}
	if (pread(r, buf, strlen(text), 0) < 0)
		buf[0] = 0;
	check(!strcmp(buf, text) && ref >= 0 && same_file(r, ref),
	      "%s %s by %s%s: content \"%s\", same file as pidfd_getfd",
	      label, kind, how, cloexec ? " cloexec" : "", buf);
	check(!!(flags_of(r) & FD_CLOEXEC) == cloexec,
	      "%s %s by %s: FD_CLOEXEC %s as requested", label, kind, how,
	      cloexec ? "set" : "clear");
	close(r);
out:
	if (ref >= 0)
		close(ref);
}

int main(int argc, char **argv)
{
	struct remotefd_info info;
	int pid, memfd, shmfd, dev, proc, pidfd, legacy = 1, r, ref, c;
	const char *label;
	char buf[64] = "";

	if (argc < 5) {
		fprintf(stderr, "usage: rfd-basic LABEL PID MEMFD SHMFD [--no-legacy]\n");
		return 2;
	}
	label = argv[1];
	pid = atoi(argv[2]);
	memfd = atoi(argv[3]);
	shmfd = atoi(argv[4]);
	if (argc > 5 && !strcmp(argv[5], "--no-legacy"))
		legacy = 0;

	dev = open("/dev/remotefd", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		die("open /dev/remotefd");
	pidfd = sys_pidfd_open(pid);
	if (pidfd < 0)
		die("pidfd_open");

	memset(&info, 0xff, sizeof(info));
	r = ioctl(dev, REMOTEFD_IOC_INFO, &info);
	check(r == 0 && info.abi_version == REMOTEFD_ABI_VERSION &&
	      (info.features & REMOTEFD_FEAT_PIDFD) &&
	      !!(info.features & REMOTEFD_FEAT_LEGACY_PROC) == legacy &&
	      !info.reserved[0] && !info.reserved[1] && !info.reserved[2],
	      "%s info: abi %u features %#x", label, info.abi_version,
	      info.features);

	for (c = 0; c < 2; c++) {
		one(label, dev, pid, pidfd, memfd, "memfd",
		    "remotefd-memfd-payload", 0, !c);
		one(label, dev, pid, pidfd, memfd, "memfd",
		    "remotefd-memfd-payload", 1, !c);
		one(label, dev, pid, pidfd, shmfd, "shm",
		    "remotefd-shm-payload", 0, !c);
		one(label, dev, pid, pidfd, shmfd, "shm",
		    "remotefd-shm-payload", 1, !c);
	}

	/* A write through the adopted fd is seen through pidfd_getfd's. */
	r = rfd_getfd(dev, pid, memfd, 0, O_CLOEXEC);
	ref = sys_pidfd_getfd(pidfd, memfd);
	if (r >= 0 && ref >= 0) {
		pwrite(r, "XY", 2, 100);
		memset(buf, 0, sizeof(buf));
		pread(ref, buf, 2, 100);
		pwrite(r, "\0\0", 2, 100);
	}
	check(r >= 0 && ref >= 0 && !memcmp(buf, "XY", 2),
	      "%s memfd shared: write through adopted fd visible", label);
	if (r >= 0)
		close(r);
	if (ref >= 0)
		close(ref);

	proc = open("/proc/remotefd", O_RDONLY | O_CLOEXEC);
	if (!legacy) {
		check(proc < 0 && errno == ENOENT,
		      "%s legacy_proc=0: no /proc/remotefd", label);
	} else {
		r = proc < 0 ? -errno : rfd_legacy(proc, pid, memfd);
		memset(buf, 0, sizeof(buf));
		if (r >= 0)
			pread(r, buf, 22, 0);
		check(r >= 0 && !strcmp(buf, "remotefd-memfd-payload") &&
		      (flags_of(r) & FD_CLOEXEC),
		      "%s legacy /proc/remotefd: o_fd %d, content, O_CLOEXEC",
		      label, r);
		if (r >= 0)
			close(r);
	}
	printf("# %s: %d passed, %d failed\n", label, n_pass, n_fail);
	return n_fail ? 1 : 0;
}
