// SPDX-License-Identifier: Apache-2.0
/*
 * mapper: a bench target for the listing of mappings. Forks N processes
 * (default 200), each holding F memfds by fd (default 4, one of them also
 * mapped) and M memfds by mapping only (default 2, fd closed), every page
 * written; prints "READY PID FIRST LAST" (its own pid, and the first and
 * last child pid) and waits for SIGTERM, which it passes on.
 *
 *   mapper [--procs N] [--fds F] [--mapped M] [--size BYTES]
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t *kids;
static int nkids;

static void stop(int sig)
{
	(void)sig;
	for (int i = 0; i < nkids; i++)
		kill(kids[i], SIGKILL);
	while (wait(NULL) > 0)
		;
	_exit(0);
}

static void child(int fds, int mapped, size_t size)
{
	for (int i = 0; i < fds + mapped; i++) {
		int fd = memfd_create(i < fds ? "bench-fd" : "bench-mapped", MFD_CLOEXEC);
		if (fd < 0 || ftruncate(fd, size))
			_exit(3);
		if (i == 0 || i >= fds) {
			unsigned char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
			if (p == MAP_FAILED)
				_exit(3);
			memset(p, 0x5a, size);
		}
		if (i >= fds)
			close(fd);
	}
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	int procs = 200, fds = 4, mapped = 2;
	size_t size = 65536;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--procs")) procs = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--fds")) fds = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--mapped")) mapped = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--size")) size = strtoull(argv[i + 1], NULL, 0);
	}
	kids = calloc(procs, sizeof(*kids));
	signal(SIGTERM, stop);
	signal(SIGINT, stop);
	for (int i = 0; i < procs; i++) {
		int p[2];
		char c;

		if (pipe(p))
			return 1;
		pid_t pid = fork();
		if (pid == 0) {
			close(p[0]);
			signal(SIGTERM, SIG_DFL);
			close(p[1]);	/* started */
			child(fds, mapped, size);
		}
		close(p[1]);
		if (pid < 0)
			return 1;
		kids[nkids++] = pid;
		(void)!read(p[0], &c, 1);
		close(p[0]);
	}
	/* Let every child finish its setup (each writes its pages). */
	usleep(200000 + procs * 2000);
	printf("READY %d %d %d\n", (int)getpid(), (int)kids[0], (int)kids[nkids - 1]);
	fflush(stdout);
	for (;;)
		pause();
}
