// SPDX-License-Identifier: Apache-2.0
/*
 * timeit: wall time of whole commands, interleaved.
 *
 *   timeit ROUNDS WARMUP CMD1 ARGS... -- CMD2 ARGS... [-- ...]
 *
 * Runs WARMUP untimed rounds, then ROUNDS rounds; each round runs every
 * command once, in order (so that the baseline and the subject see the same
 * machine load), stdout and stderr to /dev/null. Prints one line per
 * command: the median and the minimum, in microseconds. Exits 1 if any run
 * of any command failed (its status is printed).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: timeit ROUNDS WARMUP CMD ARGS... [-- CMD ARGS...]...\n");
		return 2;
	}
	int rounds = atoi(argv[1]), warmup = atoi(argv[2]);
	char **cmds[64];
	int ncmd = 0;
	cmds[ncmd++] = &argv[3];
	for (int i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			argv[i] = NULL;
			if (i + 1 < argc && ncmd < 64)
				cmds[ncmd++] = &argv[i + 1];
		}
	}
	double *t = calloc((size_t)ncmd * rounds, sizeof(double));
	int failed = 0;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);

	for (int r = -warmup; r < rounds; r++) {
		for (int c = 0; c < ncmd; c++) {
			pid_t child;
			int status;
			double t0 = now_us();
			if (posix_spawn(&child, cmds[c][0], &fa, NULL, cmds[c], environ) != 0) {
				perror(cmds[c][0]);
				return 1;
			}
			while (waitpid(child, &status, 0) < 0)
				;
			double dt = now_us() - t0;
			if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
				if (!failed)
					fprintf(stderr, "timeit: %s exited with status 0x%x\n", cmds[c][0], status);
				failed = 1;
			}
			if (r >= 0)
				t[c * rounds + r] = dt;
		}
	}
	for (int c = 0; c < ncmd; c++) {
		qsort(&t[c * rounds], rounds, sizeof(double), cmp);
		printf("%.1f %.1f\n", t[c * rounds + rounds / 2], t[c * rounds]);
	}
	return failed;
}
