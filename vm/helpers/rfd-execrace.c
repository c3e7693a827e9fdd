// SPDX-License-Identifier: GPL-2.0-only
/*
 * rfd-execrace: adoptions racing with a target that exec()s itself in a
 * loop (new mm and credentials each time).  The module checks permission
 * before taking exec_update_lock and must notice an exec in between (it
 * retries, or answers EAGAIN).  Every answer must be OK or EAGAIN, and every
 * fd must be the target's memfd.
 *
 *   rfd-execrace LABEL THREADS ITERS
 */
#include "rfd-test.h"
#include <pthread.h>
#include <signal.h>

#define TARGET_FD 10

static int dev, pidfd;
static pid_t tpid;
static long iters;
static struct stat memfd_st;

struct result {
	long ok, eagain, other, wrong;
	int other_errno;
};

static void *worker(void *arg)
{
	struct result *res = arg;
	struct stat st;
	long i;

	for (i = 0; i < iters; i++) {
		int r = (i & 1) ?
			rfd_getfd(dev, pidfd, TARGET_FD, REMOTEFD_TARGET_PIDFD, 0) :
			rfd_getfd(dev, tpid, TARGET_FD, 0, O_CLOEXEC);

		if (r >= 0) {
			res->ok++;
			if (fstat(r, &st) || st.st_ino != memfd_st.st_ino ||
			    st.st_dev != memfd_st.st_dev)
				res->wrong++;
			close(r);
		} else if (r == -EAGAIN) {
			res->eagain++;
		} else {
			res->other++;
			res->other_errno = -r;
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct result res[16], tot = { 0 };
	pthread_t th[16];
	int nthreads, i, m, ref;
	const char *label;

	if (argc == 2 && !strcmp(argv[1], "--exec-loop")) {
		char *const args[] = { "/proc/self/exe", "--exec-loop", NULL };

		execv("/proc/self/exe", args);	/* fd TARGET_FD survives */
		_exit(3);
	}
	label = argc > 1 ? argv[1] : "execrace";
	nthreads = argc > 2 ? atoi(argv[2]) : 2;
	iters = argc > 3 ? atol(argv[3]) : 5000;
	if (nthreads < 1 || nthreads > 16)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	dev = open("/dev/remotefd", O_RDWR | O_CLOEXEC);
	m = memfd_create("execrace", 0);
	if (dev < 0 || m < 0 || dup2(m, TARGET_FD) < 0 || fstat(m, &memfd_st))
		die("setup");
	close(m);

	tpid = fork();
	if (!tpid) {
		char *const args[] = { "/proc/self/exe", "--exec-loop", NULL };

		execv("/proc/self/exe", args);
		_exit(3);
	}
	close(TARGET_FD);
	pidfd = sys_pidfd_open(tpid);
	ref = -1;
	for (i = 0; i < 1000 && ref < 0; i++)	/* wait for the first exec */
		ref = sys_pidfd_getfd(pidfd, TARGET_FD);
	if (ref >= 0)
		close(ref);

	memset(res, 0, sizeof(res));
	for (i = 0; i < nthreads; i++)
		pthread_create(&th[i], NULL, worker, &res[i]);
	for (i = 0; i < nthreads; i++) {
		pthread_join(th[i], NULL);
		tot.ok += res[i].ok;
		tot.eagain += res[i].eagain;
		tot.other += res[i].other;
		tot.wrong += res[i].wrong;
		if (res[i].other)
			tot.other_errno = res[i].other_errno;
	}
	kill(tpid, SIGKILL);
	waitpid(tpid, NULL, 0);
	printf("# %s: %d x %ld adoptions from a target exec'ing in a loop: ok %ld, EAGAIN %ld, other %ld (%s), wrong file %ld\n",
	       label, nthreads, iters, tot.ok, tot.eagain, tot.other,
	       tot.other ? strerrorname_np(tot.other_errno) : "-", tot.wrong);
	check(tot.other == 0 && tot.wrong == 0 && tot.ok > 0,
	      "%s adoptions racing with exec: only OK/EAGAIN, right file",
	      label);
	return n_fail ? 1 : 0;
}
