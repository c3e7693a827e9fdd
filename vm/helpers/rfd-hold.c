// SPDX-License-Identifier: GPL-2.0-only
/*
 * rfd-hold: a target process.  Creates a memfd and/or a /dev/shm file with
 * known contents, prints "READY <pid> <memfd> <shmfd>" and waits for a
 * signal (or churns its fd table with --churn).
 *
 *   rfd-hold [--memfd] [--shm] [--size KB] [--uid UID] [--nondump]
 *            [--closed] [--churn] [--thread] [--extra N]
 *
 * --closed additionally prints the number of an fd it opened and closed
 * (4th number).  --churn: loop forever doing open/dup2/close on fds near the
 * memfd, so adoptions of those numbers race with the table changing.
 * --extra N: N more 4 KiB memfds (a large table to list; raises
 * RLIMIT_NOFILE as needed).
 */
#include "rfd-test.h"
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#define MEMFD_TEXT "remotefd-memfd-payload"
#define SHM_TEXT "remotefd-shm-payload"

static pid_t thread_tid;

static void *thread_main(void *arg)
{
	(void)arg;
	__atomic_store_n(&thread_tid, gettid(), __ATOMIC_SEQ_CST);
	for (;;)
		pause();
	return NULL;
}

static int make_memfd(long kb)
{
	int fd = memfd_create("rfd-hold", MFD_ALLOW_SEALING);
	char *p;

	if (fd < 0)
		die("memfd_create");
	if (ftruncate(fd, kb * 1024 > 4096 ? kb * 1024 : 4096))
		die("ftruncate");
	if (kb * 1024 > 4096) {
		p = mmap(NULL, kb * 1024, PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED)
			die("mmap");
		memset(p, 0x5a, kb * 1024);	/* really allocate the pages */
		munmap(p, kb * 1024);
	}
	if (pwrite(fd, MEMFD_TEXT, strlen(MEMFD_TEXT), 0) < 0)
		die("pwrite");
	return fd;
}

int main(int argc, char **argv)
{
	int memfd = -1, shmfd = -1, closedfd = -1, churn = 0, nondump = 0, i;
	int thread = 0;
	long extra = 0;
	pthread_t th;
	long kb = 4;
	uid_t uid = (uid_t)-1;
	char path[64];

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--memfd"))
			memfd = 0;
		else if (!strcmp(argv[i], "--shm"))
			shmfd = 0;
		else if (!strcmp(argv[i], "--size") && i + 1 < argc)
			kb = atol(argv[++i]);
		else if (!strcmp(argv[i], "--uid") && i + 1 < argc)
			uid = (uid_t)atol(argv[++i]);
		else if (!strcmp(argv[i], "--nondump"))
			nondump = 1;
		else if (!strcmp(argv[i], "--closed"))
			closedfd = 0;
		else if (!strcmp(argv[i], "--churn"))
			churn = 1;
		else if (!strcmp(argv[i], "--thread"))
			thread = 1;
		else if (!strcmp(argv[i], "--extra") && i + 1 < argc)
			extra = atol(argv[++i]);
		else {
			fprintf(stderr, "rfd-hold: bad argument %s\n", argv[i]);
			return 2;
		}
	}
	if (uid != (uid_t)-1) {
		drop_to(uid);
		prctl(PR_SET_DUMPABLE, 1);	/* setresuid cleared it */
	}
	if (nondump)
		prctl(PR_SET_DUMPABLE, 0);
	if (!memfd)
		memfd = make_memfd(kb);
	if (!shmfd) {
		snprintf(path, sizeof(path), "/dev/shm/rfd-hold-%d", getpid());
		shmfd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
		if (shmfd < 0)
			die("open /dev/shm");
		if (pwrite(shmfd, SHM_TEXT, strlen(SHM_TEXT), 0) < 0)
			die("pwrite shm");
	}
	if (!closedfd) {
		closedfd = open("/dev/null", O_RDONLY);
		close(closedfd);
	}
	if (extra > 0) {
		struct rlimit lim = { extra + 256, extra + 256 };

		if (setrlimit(RLIMIT_NOFILE, &lim))
			die("setrlimit");
		while (extra-- > 0)
			make_memfd(4);
	}
	if (thread) {
		pthread_create(&th, NULL, thread_main, NULL);
		while (!__atomic_load_n(&thread_tid, __ATOMIC_SEQ_CST))
			usleep(1000);
	}
	printf("READY %d %d %d %d %d\n", getpid(), memfd, shmfd, closedfd,
	       thread ? thread_tid : -1);
	fflush(stdout);

	if (churn) {
		/* fds memfd+1 .. memfd+3 appear and disappear continuously */
		for (;;) {
			int a = open("/dev/null", O_RDONLY);

			dup2(memfd, memfd + 2);
			if (a >= 0)
				close(a);
			close(memfd + 2);
			dup2(memfd, memfd + 3);
			close(memfd + 3);
		}
	}
	for (;;)
		pause();
}
