// SPDX-License-Identifier: GPL-2.0-only
/*
 * rfd-stress: THREADS threads x ITERS adoptions (alternately by pid and by
 * pidfd) from a target that opens, closes and dup2()s in a tight loop; then
 * checks that the target's 8 MiB memfd is released (Shmem back to its
 * baseline) once everybody closed it.
 *
 *   rfd-stress LABEL THREADS ITERS
 */
#include "rfd-test.h"
#include <pthread.h>
#include <signal.h>
#include <time.h>

#define MEMFD_KB 8192

static int dev, pidfd, memfd_nr;
static pid_t tpid;
static long iters;
static struct stat memfd_st, null_st;

struct result {
	long ok, ebadf, other, wrong_file;
	int other_errno;
};

static void *worker(void *arg)
{
	struct result *res = arg;
	struct stat st;
	long i;

	for (i = 0; i < iters; i++) {
		int fd = (i % 3 == 0) ? memfd_nr : memfd_nr + 1 + (i % 3);
		int r = (i & 1) ?
			rfd_getfd(dev, pidfd, fd, REMOTEFD_TARGET_PIDFD, O_CLOEXEC) :
			rfd_getfd(dev, tpid, fd, 0, O_CLOEXEC);

		if (r >= 0) {
			res->ok++;
			if ((i & 63) == 0 && (fstat(r, &st) ||
			    !((st.st_ino == memfd_st.st_ino && st.st_dev == memfd_st.st_dev) ||
			      (st.st_ino == null_st.st_ino && st.st_dev == null_st.st_dev))))
				res->wrong_file++;
			close(r);
		} else if (r == -EBADF && fd != memfd_nr) {
			res->ebadf++;
		} else {
			res->other++;
			res->other_errno = -r;
		}
	}
	return NULL;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	const char *label = argc > 1 ? argv[1] : "stress";
	int nthreads = argc > 2 ? atoi(argv[2]) : 4, i, p[2], ref;
	struct result res[16], tot = { 0 };
	pthread_t th[16];
	long base, loaded, after = -1;
	double t0, t1;

	iters = argc > 3 ? atol(argv[3]) : 50000;
	if (nthreads < 1 || nthreads > 16)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	dev = open("/dev/remotefd", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		die("open /dev/remotefd");
	if (stat("/dev/null", &null_st))
		die("stat /dev/null");
	base = shmem_kb();

	if (pipe(p))
		die("pipe");
	tpid = fork();
	if (!tpid) {
		int m = memfd_create("stress", 0);
		char *addr;

		if (m < 0 || ftruncate(m, MEMFD_KB * 1024L))
			_exit(3);
		addr = mmap(NULL, MEMFD_KB * 1024L, PROT_WRITE, MAP_SHARED, m, 0);
		if (addr == MAP_FAILED)
			_exit(3);
		memset(addr, 1, MEMFD_KB * 1024L);
		munmap(addr, MEMFD_KB * 1024L);
		write(p[1], &m, sizeof(m));
		for (;;) {
			int a = open("/dev/null", O_RDONLY);

			dup2(m, m + 2);
			if (a >= 0)
				close(a);
			close(m + 2);
			dup2(m, m + 3);
			close(m + 3);
		}
	}
	if (read(p[0], &memfd_nr, sizeof(memfd_nr)) != sizeof(memfd_nr))
		die("target setup");
	pidfd = sys_pidfd_open(tpid);
	ref = sys_pidfd_getfd(pidfd, memfd_nr);
	if (ref < 0 || fstat(ref, &memfd_st))
		die("pidfd_getfd reference");
	close(ref);
	loaded = shmem_kb();

	memset(res, 0, sizeof(res));
	t0 = now();
	for (i = 0; i < nthreads; i++)
		pthread_create(&th[i], NULL, worker, &res[i]);
	for (i = 0; i < nthreads; i++) {
		pthread_join(th[i], NULL);
		tot.ok += res[i].ok;
		tot.ebadf += res[i].ebadf;
		tot.other += res[i].other;
		tot.wrong_file += res[i].wrong_file;
		if (res[i].other)
			tot.other_errno = res[i].other_errno;
	}
	t1 = now();

	kill(tpid, SIGKILL);
	waitpid(tpid, NULL, 0);
	close(pidfd);
	for (i = 0; i < 100; i++) {	/* fput of the last ref may be deferred */
		after = shmem_kb();
		if (after <= base + 1024)
			break;
		usleep(50000);
	}

	printf("# %s: %d x %ld adoptions in %.1f s (%.0f/s): ok %ld, EBADF on churned fds %ld, other %ld (%s), wrong file %ld\n",
	       label, nthreads, iters, t1 - t0, nthreads * iters / (t1 - t0),
	       tot.ok, tot.ebadf, tot.other,
	       tot.other ? strerrorname_np(tot.other_errno) : "-", tot.wrong_file);
	check(tot.other == 0 && tot.wrong_file == 0 &&
	      tot.ok + tot.ebadf == nthreads * iters && tot.ok >= nthreads * iters / 3,
	      "%s %d threads x %ld adoptions while the target churns its fd table",
	      label, nthreads, iters);
	check(loaded >= base + MEMFD_KB - 512 && after <= base + 1024,
	      "%s memfd released: Shmem baseline %ld kB, with target %ld kB, after %ld kB",
	      label, base, loaded, after);
	return n_fail ? 1 : 0;
}
