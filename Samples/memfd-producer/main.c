// SPDX-License-Identifier: Apache-2.0
/*
 * memfd-producer: holds memfds and keeps writing to them, so that another
 * process can adopt them (the original "testmemfd").
 *
 *   memfd-producer [--size BYTES] [--count N] [--interval MS] [--name NAME]
 *                  [--seal-write] [--no-sealing]
 *
 * Prints one line "pid PID fd FD" per memfd, then writes
 * "Hello, shared memory! [n]" at offset 0 of each, every interval.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "memfd-producer: %s: %s\n", what, strerror(errno));
	exit(1);
}

int main(int argc, char **argv)
{
	size_t size = 2 << 20;
	int count = 1, interval_ms = 1000, seal_write = 0;
	unsigned int mfd_flags = MFD_CLOEXEC | MFD_ALLOW_SEALING;
	const char *name = "testmemfd";

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--size") && v) { size = strtoull(v, NULL, 0); i++; }
		else if (!strcmp(a, "--count") && v) { count = atoi(v); i++; }
		else if (!strcmp(a, "--interval") && v) { interval_ms = atoi(v); i++; }
		else if (!strcmp(a, "--name") && v) { name = v; i++; }
		else if (!strcmp(a, "--seal-write")) seal_write = 1;
		else if (!strcmp(a, "--no-sealing")) mfd_flags &= ~MFD_ALLOW_SEALING;
		else {
			fprintf(stderr, "usage: %s [--size BYTES] [--count N] [--interval MS] [--name NAME] [--seal-write] [--no-sealing]\n", argv[0]);
			return 2;
		}
	}
	if (count < 1 || size < 64) {
		fprintf(stderr, "memfd-producer: --count must be >= 1 and --size >= 64\n");
		return 2;
	}

	char **maps = calloc(count, sizeof(*maps));
	int *fds = calloc(count, sizeof(*fds));
	if (!maps || !fds)
		die("calloc");
	for (int i = 0; i < count; i++) {
		char label[256];
		int fd;

		snprintf(label, sizeof(label), count > 1 ? "%s-%d" : "%s", name, i);
		fd = memfd_create(label, mfd_flags);
		if (fd < 0)
			die("memfd_create");
		if (ftruncate(fd, size) < 0)
			die("ftruncate");
		maps[i] = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (maps[i] == MAP_FAILED)
			die("mmap");
		/* A recognisable pattern past the greeting: byte k is k mod 251. */
		for (size_t k = 64; k < size; k++)
			maps[i][k] = (char)(k % 251);
		snprintf(maps[i], 64, "Hello, shared memory! [0]");
		fds[i] = fd;
		printf("pid %d fd %d\n", getpid(), fd);
	}
	fflush(stdout);

	for (unsigned long n = 0;; n++) {
		for (int i = 0; i < count && n > 0; i++)
			snprintf(maps[i], 64, "Hello, shared memory! [%lu]", n);
		if (n == 0 && seal_write) {
			/* Write seals need no writable shared mapping: drop ours. */
			for (int i = 0; i < count; i++)
				munmap(maps[i], size);
			for (int i = 0; i < count; i++)
				if (fcntl(fds[i], F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW) < 0)
					die("F_ADD_SEALS");
			for (;;)
				pause();
		}
		usleep(interval_ms * 1000);
	}
}
