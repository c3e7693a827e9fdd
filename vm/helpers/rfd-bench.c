// SPDX-License-Identifier: GPL-2.0
/*
 * rfd-bench: per-fd cost of the module's REMOTEFD_IOC_GETFD against
 * pidfd_open + pidfd_getfd + close, in the same guest, interleaved. Not a
 * test: bench/vm-bench.sh runs it (with the bench/vm scenario) and reports
 * ratios only (TCG time is not real time).
 *
 *   rfd-bench [ITERS] [ROUNDS]
 *
 * Forks a child holding 64 memfds. Each round runs every mode for ITERS
 * adoptions, cycling over the child's fds; prints per mode the median over
 * rounds in ns per fd:
 *   "BENCH-MODE <mode> <ns>" and, last, "BENCH <kernel> <ioctl-by-pid ns>
 *   <pidfd_open+getfd+close ns>" (the headline pair).
 * Modes:
 *   pidfd-fresh   pidfd_open + pidfd_getfd + close both
 *   pidfd-kept    pidfd_getfd + close, one pidfd
 *   kmod-pid      ioctl GETFD naming the target by pid + close (device kept open)
 *   kmod-pidfd    ioctl GETFD naming it by a kept pidfd + close
 *   kmod-open     open /dev/remotefd + ioctl by pidfd + close both (the library's
 *                 KmodBackend opens the device per adoption), pidfd_open included
 *   proc-mem      open /proc/PID/mem + close: the module's permission check
 *                 (it opens that file as the caller), alone
 */
#include "rfd-test.h"
#include <signal.h>
#include <sys/utsname.h>
#include <time.h>

#define NFDS 64

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static const char *modes[] = { "pidfd-fresh", "pidfd-kept", "kmod-pid", "kmod-pidfd", "kmod-open", "proc-mem" };
#define NMODES (int)(sizeof(modes) / sizeof(modes[0]))

int main(int argc, char **argv)
{
	long iters = argc > 1 ? atol(argv[1]) : 2000;
	int rounds = argc > 2 ? atoi(argv[2]) : 7;
	int ready[2], first = -1;
	pid_t child;

	if (pipe(ready) < 0) {
		perror("pipe");
		return 1;
	}
	child = fork();
	if (child == 0) {
		int f = -1;

		for (int i = 0; i < NFDS; i++) {
			int fd = memfd_create("rfd-bench", MFD_CLOEXEC);

			if (fd < 0 || ftruncate(fd, 4096) < 0)
				_exit(1);
			if (f < 0)
				f = fd;
		}
		if (write(ready[1], &f, sizeof(f)) != sizeof(f))
			_exit(1);
		for (;;)
			pause();
	}
	if (child < 0 || read(ready[0], &first, sizeof(first)) != sizeof(first)) {
		printf("FAIL bench: holder did not start\n");
		return 1;
	}
	int dev = open("/dev/remotefd", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		dev = open("/dev/remotefd", O_RDONLY | O_CLOEXEC);
	if (dev < 0) {
		printf("SKIP bench: /dev/remotefd: %s\n", strerror(errno));
		kill(child, SIGKILL);
		return 0;
	}
	int kept = sys_pidfd_open(child);
	if (kept < 0) {
		printf("FAIL bench: pidfd_open: %s\n", strerror(errno));
		return 1;
	}

	char mem_path[64];
	snprintf(mem_path, sizeof(mem_path), "/proc/%d/mem", child);

	double *t = calloc((size_t)NMODES * rounds, sizeof(double));
	int cur = 0, bad = 0;

	for (int r = -1; r < rounds; r++) {	/* round -1: warm-up */
		for (int m = 0; m < NMODES; m++) {
			double t0 = now_ns();

			for (long i = 0; i < iters; i++) {
				int tfd = first + cur, fd = -1, p, d;

				cur = (cur + 1) % NFDS;
				switch (m) {
				case 0:
					p = sys_pidfd_open(child);
					fd = sys_pidfd_getfd(p, tfd);
					close(p);
					break;
				case 1:
					fd = sys_pidfd_getfd(kept, tfd);
					break;
				case 2:
					fd = rfd_getfd(dev, child, tfd, 0, O_CLOEXEC);
					break;
				case 3:
					fd = rfd_getfd(dev, kept, tfd, REMOTEFD_TARGET_PIDFD, O_CLOEXEC);
					break;
				case 4:
					d = open("/dev/remotefd", O_RDONLY | O_CLOEXEC);
					p = sys_pidfd_open(child);
					fd = rfd_getfd(d, p, tfd, REMOTEFD_TARGET_PIDFD, O_CLOEXEC);
					close(p);
					close(d);
					break;
				case 5:
					fd = open(mem_path, O_RDONLY | O_CLOEXEC);
					if (fd < 0)
						fd = -errno;
					break;
				}
				if (fd < 0) {
					if (!bad)
						printf("FAIL bench: %s: %s\n", modes[m], res_name(fd));
					bad = 1;
				} else {
					close(fd);
				}
			}
			if (r >= 0)
				t[m * rounds + r] = (now_ns() - t0) / iters;
		}
	}
	double med[NMODES];
	for (int m = 0; m < NMODES; m++) {
		qsort(&t[m * rounds], rounds, sizeof(double), cmp);
		med[m] = t[m * rounds + rounds / 2];
		printf("BENCH-MODE %s %.0f\n", modes[m], med[m]);
	}
	struct utsname u;
	uname(&u);
	printf("BENCH %s %.0f %.0f\n", u.release, med[2], med[0]);
	if (!bad)
		printf("PASS bench: measured (%ld x %d rounds)\n", iters, rounds);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	return bad;
}
