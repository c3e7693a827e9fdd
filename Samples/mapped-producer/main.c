// SPDX-License-Identifier: Apache-2.0
/*
 * mapped-producer: maps a memfd and a POSIX shm file, closes both fds and
 * keeps writing through the mappings: buffers held by mappings only, which
 * `adopt list` shows as held "map" and `adopt PID --map ADDR` adopts.
 *
 *   mapped-producer [--size BYTES] [--interval MS] [--name NAME] [--touch BYTES] [--unlink]
 *
 * Prints "pid PID memfd ADDR size SIZE" and "pid PID shm ADDR size SIZE
 * path /dev/shm/NAME", then "ready"; writes "Hello, mapped memory! [n]" at
 * offset 0 of each mapping every interval. Byte i of each buffer starts as
 * (7i + 3) mod 256 (then offset 0 is overwritten). With --touch, only the
 * first BYTES of each buffer are written at start (Rss below the size).
 * The shm file is unlinked at exit (SIGTERM/SIGINT); after SIGKILL it stays,
 * unless --unlink removed its name right after mapping (the mapping keeps it).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static char shm_name[256];
static volatile sig_atomic_t stop;

static void die(const char *what)
{
	fprintf(stderr, "mapped-producer: %s: %s\n", what, strerror(errno));
	if (shm_name[0])
		shm_unlink(shm_name);
	exit(1);
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static unsigned char *map_and_close(int fd, size_t size, size_t touch)
{
	if (ftruncate(fd, size) < 0)
		die("ftruncate");
	unsigned char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("mmap");
	if (close(fd) < 0)
		die("close");
	for (size_t i = 0; i < touch; i++)
		p[i] = (unsigned char)((7 * i + 3) % 256);
	return p;
}

int main(int argc, char **argv)
{
	size_t size = 1 << 20, touch = (size_t)-1;
	int interval_ms = 1000, unlink_now = 0;
	const char *name = "mappedmemfd";

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--size") && v) { size = strtoull(v, NULL, 0); i++; }
		else if (!strcmp(a, "--interval") && v) { interval_ms = atoi(v); i++; }
		else if (!strcmp(a, "--name") && v) { name = v; i++; }
		else if (!strcmp(a, "--touch") && v) { touch = strtoull(v, NULL, 0); i++; }
		else if (!strcmp(a, "--unlink")) unlink_now = 1;
		else {
			fprintf(stderr, "usage: %s [--size BYTES] [--interval MS] [--name NAME] [--touch BYTES] [--unlink]\n", argv[0]);
			return 2;
		}
	}
	if (size < 64) {
		fprintf(stderr, "mapped-producer: --size must be >= 64\n");
		return 2;
	}
	if (touch > size)
		touch = size;

	int mfd = memfd_create(name, MFD_CLOEXEC);
	if (mfd < 0)
		die("memfd_create");
	unsigned char *m = map_and_close(mfd, size, touch);

	snprintf(shm_name, sizeof(shm_name), "/remotefd-mapped-%d", (int)getpid());
	int sfd = shm_open(shm_name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (sfd < 0)
		die("shm_open");
	unsigned char *s = map_and_close(sfd, size, touch);
	if (unlink_now && shm_unlink(shm_name) == 0)
		shm_name[0] = 0;

	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	printf("pid %d memfd %p size %zu\n", (int)getpid(), (void *)m, size);
	printf("pid %d shm %p size %zu path /dev/shm%s\n", (int)getpid(), (void *)s, size, shm_name);
	printf("ready\n");
	fflush(stdout);

	for (unsigned long n = 0; !stop; n++) {
		char line[64];
		int len = snprintf(line, sizeof(line), "Hello, mapped memory! [%lu]", n);

		if (touch >= (size_t)len + 1) {
			memcpy(m, line, len + 1);
			memcpy(s, line, len + 1);
		}
		usleep(interval_ms * 1000);
	}
	if (shm_name[0])
		shm_unlink(shm_name);
	return 0;
}
