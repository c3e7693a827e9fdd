// SPDX-License-Identifier: GPL-2.0-only
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
 * With target handles (REMOTEFD_FEAT_HANDLE; one handle attached before the
 * rounds, as KmodBackend keeps one per target):
 *   handle-getfd     REMOTEFD_HANDLE_IOC_GETFD + close
 *   handle-getfds64  REMOTEFD_HANDLE_IOC_GETFDS of the 64 fds + 64 closes, per fd
 *   inventory        REMOTEFD_HANDLE_IOC_INVENTORY of the 64 fds (one call of
 *                    count 64), per fd
 *   pidfd-describe   what inventory replaces: pidfd_getfd (kept pidfd) +
 *                    fstat + fstatfs + readlink(/proc/self/fd/N) + close
 *   handle-closed    handle GETFD of a closed fd (EBADF): the handle's
 *                    validation and lookup without install and close
 *   pidfd-closed     pidfd_getfd (kept) of a closed fd: the same for pidfd_getfd
 *   handle-enotty    an unknown ioctl on the handle: the syscall floor
 * and then prints the goal table, one line per row:
 *   "BENCH-ROW <row> <subject ns> <baseline ns> <ratio> <goal> met|MISSED"
 * (also as "# " notes, which the VM harness echoes).
 */
#include "rfd-test.h"
#include <signal.h>
#include <sys/statfs.h>
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

static const char *modes[] = { "pidfd-fresh", "pidfd-kept", "kmod-pid", "kmod-pidfd", "kmod-open", "proc-mem",
				"handle-getfd", "handle-getfds64", "inventory", "pidfd-describe",
				"handle-closed", "pidfd-closed", "handle-enotty" };
enum { M_FRESH, M_KEPT, M_KPID, M_KPIDFD, M_KOPEN, M_PROCMEM, M_HGETFD, M_HGETFDS, M_INV, M_DESCRIBE,
       M_HCLOSED, M_PCLOSED, M_HENOTTY };
#define FIRST_HANDLE_MODE M_HGETFD

/* the goal rows: subject mode / baseline mode <= goal */
static const struct {
	const char *row;
	int subject, baseline;
	double goal;
} rows[] = {
	{ "handle GETFD+close per fd vs pidfd_open+pidfd_getfd+close", M_HGETFD, M_FRESH, 0.5 },
	{ "handle GETFD+close per fd vs pidfd_getfd+close with a kept pidfd", M_HGETFD, M_KEPT, 1.0 },
	{ "GETFDS of 64 (+64 closes) per fd vs pidfd_open+pidfd_getfd+close per fd", M_HGETFDS, M_FRESH, 0.25 },
	{ "INVENTORY of 64 per fd vs pidfd_getfd+fstat+fstatfs+readlink+close", M_INV, M_DESCRIBE, 0.1 },
};
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

	/* target handles: one handle, attached once (as KmodBackend does) */
	struct remotefd_info info;
	int handle = -1, nmodes = NMODES;

	memset(&info, 0, sizeof(info));
	if (ioctl(dev, REMOTEFD_IOC_INFO, &info) == 0 && (info.features & REMOTEFD_FEAT_HANDLE)) {
		struct remotefd_attach a = { .target = kept, .flags = REMOTEFD_TARGET_PIDFD,
					     .fd_flags = O_CLOEXEC };

		handle = ioctl(dev, REMOTEFD_IOC_ATTACH, &a);
		if (handle < 0) {
			printf("FAIL bench: REMOTEFD_IOC_ATTACH: %s\n", strerror(errno));
			nmodes = FIRST_HANDLE_MODE;
		}
	} else {
		printf("SKIP bench-handle: the module does not report REMOTEFD_FEAT_HANDLE: no handle rows\n");
		nmodes = FIRST_HANDLE_MODE;
	}
	struct remotefd_batch_entry ents[NFDS];
	struct remotefd_fd_record *recs = calloc(NFDS, sizeof(*recs));

	double *t = calloc((size_t)NMODES * rounds, sizeof(double));
	int cur = 0, bad = 0;

	for (int r = -1; r < rounds; r++) {	/* round -1: warm-up */
		for (int m = 0; m < nmodes; m++) {
			double t0 = now_ns();

			if (m == M_HGETFDS || m == M_INV) {
				/* whole batches of the 64 fds; per fd below */
				long batches = iters / NFDS > 0 ? iters / NFDS : 1;

				for (long i = 0; i < batches; i++) {
					int rr;	/* 0 or -errno */

					if (m == M_HGETFDS) {
						struct remotefd_batch b = { .count = NFDS, .fd_flags = O_CLOEXEC,
									    .entries = (uintptr_t)ents };

						for (int k = 0; k < NFDS; k++)
							ents[k].fd = first + k;
						rr = ioctl(handle, REMOTEFD_HANDLE_IOC_GETFDS, &b) ? -errno : 0;
						for (int k = 0; rr == 0 && k < NFDS; k++) {
							if (ents[k].result < 0)
								rr = ents[k].result;
							else
								close(ents[k].result);
						}
					} else {
						struct remotefd_inventory v = { .start_fd = first, .count = NFDS,
										.records = (uintptr_t)recs };

						rr = ioctl(handle, REMOTEFD_HANDLE_IOC_INVENTORY, &v) ? -errno : 0;
						if (rr == 0 && v.returned != NFDS)
							rr = -ENOENT;
					}
					if (rr && !bad) {
						printf("FAIL bench: %s: %s\n", modes[m], res_name(rr));
						bad = 1;
					}
				}
				if (r >= 0)
					t[m * rounds + r] = (now_ns() - t0) / (batches * NFDS);
				continue;
			}
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
				case M_HGETFD: {
					struct remotefd_handle_getfd g = { .fd = tfd, .fd_flags = O_CLOEXEC };

					fd = ioctl(handle, REMOTEFD_HANDLE_IOC_GETFD, &g);
					if (fd < 0)
						fd = -errno;
					break;
				}
				case M_HCLOSED:
				case M_HENOTTY: {
					struct remotefd_handle_getfd g = { .fd = 1000, .fd_flags = O_CLOEXEC };

					fd = ioctl(handle, m == M_HCLOSED ? REMOTEFD_HANDLE_IOC_GETFD
							: _IOW(REMOTEFD_IOC_MAGIC, 0x1f, struct remotefd_handle_getfd), &g);
					fd = (fd < 0 && errno == (m == M_HCLOSED ? EBADF : ENOTTY)) ? -1000 : -EIO;
					break;
				}
				case M_PCLOSED:
					fd = sys_pidfd_getfd(kept, 1000);
					fd = (fd < 0 && errno == EBADF) ? -1000 : -EIO;
					break;
				case M_DESCRIBE: {
					struct stat st;
					struct statfs sf;
					char path[64], link[256];

					fd = sys_pidfd_getfd(kept, tfd);
					if (fd < 0) {
						fd = -errno;
						break;
					}
					snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
					if (fstat(fd, &st) || fstatfs(fd, &sf) ||
					    readlink(path, link, sizeof(link)) <= 0) {
						close(fd);
						fd = -errno;
					}
					break;
				}
				}
				if (fd == -1000) {
					/* the expected failure of a *-closed / enotty mode */
				} else if (fd < 0) {
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
	for (int m = 0; m < nmodes; m++) {
		qsort(&t[m * rounds], rounds, sizeof(double), cmp);
		med[m] = t[m * rounds + rounds / 2];
		printf("BENCH-MODE %s %.0f\n", modes[m], med[m]);
	}
	struct utsname u;
	uname(&u);
	printf("BENCH %s %.0f %.0f\n", u.release, med[2], med[0]);
	if (nmodes == NMODES) {
		printf("# bench %s: ratios of medians over %d rounds of %ld, modes interleaved (TCG: ratios only)\n",
		       u.release, rounds, iters);
		printf("# %-72s %9s %9s %7s %6s %s\n", "row", "subj ns", "base ns", "ratio", "goal", "result");
		for (unsigned int i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
			double ratio = med[rows[i].subject] / med[rows[i].baseline];
			const char *res = ratio <= rows[i].goal ? "met" : "MISSED";

			printf("BENCH-ROW %d %.0f %.0f %.3f %.2f %s\n", i + 1, med[rows[i].subject],
			       med[rows[i].baseline], ratio, rows[i].goal, res);
			printf("# %-72s %9.0f %9.0f %6.3fx <=%.2fx %s\n", rows[i].row,
			       med[rows[i].subject], med[rows[i].baseline], ratio, rows[i].goal, res);
		}
		printf("# info: closed fd (validation + lookup, no install): handle GETFD %.0f ns, pidfd_getfd %.0f ns (%.2fx); unknown ioctl on the handle %.0f ns; install + close: handle %.0f ns, pidfd %.0f ns\n",
		       med[M_HCLOSED], med[M_PCLOSED], med[M_HCLOSED] / med[M_PCLOSED], med[M_HENOTTY],
		       med[M_HGETFD] - med[M_HCLOSED], med[M_KEPT] - med[M_PCLOSED]);
	}
	if (!bad)
		printf("PASS bench: measured (%ld x %d rounds)\n", iters, rounds);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	if (handle >= 0)
		close(handle);
	free(recs);
	return bad;
}
