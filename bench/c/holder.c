// SPDX-License-Identifier: Apache-2.0
/*
 * holder: a bench target. Raises RLIMIT_NOFILE to its hard limit, opens
 * buffers and other files, prints "READY PID FIRST LAST" (the fd range of
 * the buffers it made) and waits for SIGTERM.
 *
 *   holder [--memfds N] [--size BYTES] [--fill] [--mix] [--sizes B1,B2,...]
 *
 * --memfds N   N memfds (MFD_ALLOW_SEALING) of --size bytes (default 4096),
 *              pages untouched unless --fill (then every byte is written)
 * --mix        instead of only memfds: a realistic table, one in four fds a
 *              memfd, the rest /dev/shm files, pipes, sockets, eventfds and
 *              regular files, in rotation (N fds in all)
 * --sizes LIST one memfd per size (adoption cost against buffer size);
 *              the fds are consecutive, in the order given
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "holder: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void cleanup(int sig)
{
	(void)sig;
	_exit(0); /* the /dev/shm files were unlinked as soon as opened */
}

static int new_memfd(int i, size_t size, int fill)
{
	char name[32];
	int fd;

	snprintf(name, sizeof(name), "bench-%d", i);
	fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		die("memfd_create");
	if (ftruncate(fd, (off_t)size) < 0)
		die("ftruncate");
	if (fill && size) {
		unsigned char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED)
			die("mmap");
		for (size_t k = 0; k < size; k += 4096)
			memset(p + k, (int)(k / 4096 % 251), size - k < 4096 ? size - k : 4096);
		munmap(p, size);
	}
	return fd;
}

int main(int argc, char **argv)
{
	long n = 1;
	size_t size = 4096;
	int fill = 0, mix = 0;
	const char *sizes = NULL;
	int first = -1, last = -1;
	struct rlimit rl;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--memfds") && v) { n = strtol(v, NULL, 0); i++; }
		else if (!strcmp(a, "--size") && v) { size = strtoull(v, NULL, 0); i++; }
		else if (!strcmp(a, "--sizes") && v) { sizes = v; i++; }
		else if (!strcmp(a, "--fill")) fill = 1;
		else if (!strcmp(a, "--mix")) mix = 1;
		else {
			fprintf(stderr, "usage: holder [--memfds N] [--size BYTES] [--fill] [--mix] [--sizes B1,B2,...]\n");
			return 2;
		}
	}
	/* fds inherited from whoever started us would be counted as ours */
	for (int fd = 3; fd < 1024; fd++)
		close(fd);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	signal(SIGTERM, cleanup);
	signal(SIGINT, cleanup);

	if (sizes) {
		char *list = strdup(sizes), *save = NULL;
		int i = 0;
		for (char *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			int fd = new_memfd(i++, strtoull(tok, NULL, 0), fill);
			if (first < 0)
				first = fd;
			last = fd;
		}
	} else {
		for (long i = 0; i < n; i++) {
			int fd = -1;
			if (!mix || i % 4 == 0) {
				fd = new_memfd((int)i, size, fill);
			} else {
				switch (i % 8) {
				case 1: {
					char path[96];
					snprintf(path, sizeof(path), "/dev/shm/bench-holder-%d-%ld", getpid(), i);
					fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
					if (fd < 0)
						die("open /dev/shm");
					if (ftruncate(fd, 4096) < 0)
						die("ftruncate shm");
					unlink(path); /* still listed: "/dev/shm/... (deleted)" */
					break;
				}
				case 2: case 3: {
					int p[2];
					if (pipe2(p, O_CLOEXEC) < 0)
						die("pipe");
					fd = p[1];
					i++; /* two fds */
					if (i >= n) { close(p[1]); fd = p[0]; }
					break;
				}
				case 5: {
					int s[2];
					if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s) < 0)
						die("socketpair");
					fd = s[1];
					i++;
					if (i >= n) { close(s[1]); fd = s[0]; }
					break;
				}
				case 6:
					fd = eventfd(0, EFD_CLOEXEC);
					if (fd < 0)
						die("eventfd");
					break;
				default:
					fd = open("/etc/hostname", O_RDONLY | O_CLOEXEC);
					if (fd < 0)
						fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
					if (fd < 0)
						die("open");
					break;
				}
			}
			if (first < 0)
				first = fd;
			last = fd;
		}
	}
	printf("READY %d %d %d\n", getpid(), first, last);
	fflush(stdout);
	for (;;)
		pause();
}
