// SPDX-License-Identifier: Apache-2.0
/*
 * restartable-producer: a producer that survives its own restart. Its state
 * (a counter) lives in a memfd; the first run creates it, a later run gets
 * the same memfd back the systemd way (sd_listen_fds: LISTEN_FDS,
 * LISTEN_PID, LISTEN_FDNAMES — from `adopt exec`, `adopt watch --exec` or
 * systemd's fd store) and counts on from where the first one stopped.
 *
 *   restartable-producer [--steps N] [--interval MS] [--name NAME]
 *
 * Prints "created pid P fd F" or "resumed pid P fd F at N", then "count N"
 * after each increment. With --steps it stops counting after N increments
 * and prints "waiting" (still holding the buffer) until killed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAGIC "RFDCNT1"
#define LISTEN_FDS_START 3

struct state {
	char magic[8];
	uint64_t count;
};

static void die(const char *what)
{
	fprintf(stderr, "restartable-producer: %s: %s\n", what, strerror(errno));
	exit(1);
}

/*
 * sd_listen_fds_with_names() without libsystemd: the fd named `name`, or
 * the first passed fd when no names were given; -1 when none was passed.
 * Unsets the variables, as sd_listen_fds(1) does.
 */
static int listened_fd(const char *name)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	const char *names = getenv("LISTEN_FDNAMES");
	int found = -1;

	if (!pid || !fds || strtol(pid, NULL, 10) != getpid())
		return -1;
	int n = atoi(fds);
	if (n >= 1) {
		found = LISTEN_FDS_START;
		if (names) {
			char *copy = strdup(names), *save = NULL, *tok;
			int i = 0;

			found = -1;
			for (tok = strtok_r(copy, ":", &save); tok && i < n; tok = strtok_r(NULL, ":", &save), i++)
				if (!strcmp(tok, name)) {
					found = LISTEN_FDS_START + i;
					break;
				}
			free(copy);
		}
	}
	for (int fd = LISTEN_FDS_START; fd < LISTEN_FDS_START + n; fd++)
		fcntl(fd, F_SETFD, FD_CLOEXEC);
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return found;
}

int main(int argc, char **argv)
{
	long steps = -1;
	int interval_ms = 200;
	const char *name = "counter";

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--steps") && v) { steps = atol(v); i++; }
		else if (!strcmp(a, "--interval") && v) { interval_ms = atoi(v); i++; }
		else if (!strcmp(a, "--name") && v) { name = v; i++; }
		else {
			fprintf(stderr, "usage: %s [--steps N] [--interval MS] [--name NAME]\n", argv[0]);
			return 2;
		}
	}

	struct state *st;
	int fd = listened_fd(name);

	if (fd >= 0) {
		struct stat sb;

		if (fstat(fd, &sb) < 0)
			die("fstat of the passed fd");
		if ((size_t)sb.st_size < sizeof(*st)) {
			fprintf(stderr, "restartable-producer: passed fd %d is %lld bytes, not a counter\n", fd, (long long)sb.st_size);
			return 1;
		}
		st = mmap(NULL, sizeof(*st), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (st == MAP_FAILED)
			die("mmap of the passed fd");
		if (memcmp(st->magic, MAGIC, sizeof(MAGIC))) {
			fprintf(stderr, "restartable-producer: passed fd %d does not hold a counter\n", fd);
			return 1;
		}
		printf("resumed pid %d fd %d at %llu\n", getpid(), fd, (unsigned long long)st->count);
	} else {
		fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
		if (fd < 0)
			die("memfd_create");
		if (ftruncate(fd, 4096) < 0)
			die("ftruncate");
		st = mmap(NULL, sizeof(*st), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (st == MAP_FAILED)
			die("mmap");
		memcpy(st->magic, MAGIC, sizeof(MAGIC));
		st->count = 0;
		printf("created pid %d fd %d\n", getpid(), fd);
	}
	fflush(stdout);

	for (long done = 0; steps < 0 || done < steps; done++) {
		usleep(interval_ms * 1000);
		st->count++;
		printf("count %llu\n", (unsigned long long)st->count);
		fflush(stdout);
	}
	printf("waiting\n");
	fflush(stdout);
	for (;;)
		pause();
}
