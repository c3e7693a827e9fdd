// SPDX-License-Identifier: Apache-2.0
/*
 * shm-producer: holds a POSIX shared memory object (shm_open) and keeps
 * writing to it, so that another process can adopt it.
 *
 *   shm-producer [--name /NAME] [--size BYTES] [--interval MS] [--unlink]
 *
 * Prints "pid PID fd FD name /NAME", then writes "Hello, shm! [n]" at
 * offset 0 every interval. --unlink removes the name at once: the object
 * then lives only as long as some process holds it.
 */
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static char name[256];

/* SIGTERM/SIGINT: remove the name (SIGKILL leaves it: the point of adopting). */
static void on_signal(int sig)
{
	shm_unlink(name);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void die(const char *what)
{
	fprintf(stderr, "shm-producer: %s: %s\n", what, strerror(errno));
	exit(1);
}

int main(int argc, char **argv)
{
	size_t size = 1 << 20;
	int interval_ms = 1000, unlink_now = 0;
	snprintf(name, sizeof(name), "/remotefd-shm-%d", getpid());
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--size") && v) { size = strtoull(v, NULL, 0); i++; }
		else if (!strcmp(a, "--interval") && v) { interval_ms = atoi(v); i++; }
		else if (!strcmp(a, "--name") && v) { snprintf(name, sizeof(name), "%s", v); i++; }
		else if (!strcmp(a, "--unlink")) unlink_now = 1;
		else {
			fprintf(stderr, "usage: %s [--name /NAME] [--size BYTES] [--interval MS] [--unlink]\n", argv[0]);
			return 2;
		}
	}
	if (size < 64) {
		fprintf(stderr, "shm-producer: --size must be >= 64\n");
		return 2;
	}

	int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		die("shm_open");
	if (ftruncate(fd, size) < 0)
		die("ftruncate");
	char *map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		die("mmap");
	for (size_t k = 64; k < size; k++)
		map[k] = (char)(k % 251);
	snprintf(map, 64, "Hello, shm! [0]");
	if (unlink_now && shm_unlink(name) < 0)
		die("shm_unlink");
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	printf("pid %d fd %d name %s\n", getpid(), fd, name);
	fflush(stdout);

	for (unsigned long n = 0;; n++) {
		snprintf(map, 64, "Hello, shm! [%lu]", n);
		usleep(interval_ms * 1000);
	}
}
