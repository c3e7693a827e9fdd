// SPDX-License-Identifier: GPL-2.0-only
/*
 * rfd-time CMD [ARG...]: runs CMD (stdout and stderr to /dev/null) and
 * prints its wall time in nanoseconds, or "FAILED <status>" with exit 1.
 * For the benchmark scenarios: busybox's date has no nanoseconds.
 */
#include "rfd-test.h"
#include <time.h>

int main(int argc, char **argv)
{
	struct timespec a, b;
	int st, null;
	pid_t pid;

	if (argc < 2) {
		fprintf(stderr, "usage: rfd-time CMD [ARG...]\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	pid = fork();
	if (pid == 0) {
		null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		dup2(null, 2);
		execvp(argv[1], argv + 1);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		die("fork/wait");
	clock_gettime(CLOCK_MONOTONIC, &b);
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		printf("FAILED %#x\n", st);
		return 1;
	}
	printf("%lld\n", (long long)(b.tv_sec - a.tv_sec) * 1000000000LL +
	       (b.tv_nsec - a.tv_nsec));
	return 0;
}
