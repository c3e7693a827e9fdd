// SPDX-License-Identifier: Apache-2.0
/*
 * cbench: the C baselines, one mode per invocation, timed in-process.
 * Prints one number: nanoseconds per operation (or MB/s for the copy
 * modes), the median of BATCHES batches of ITERS operations after a warm-up.
 *
 *   cbench MODE PID FIRST_FD LAST_FD [ITERS] [BATCHES]
 *
 * Per-fd modes cycle over the target's fds FIRST..LAST:
 *   pidfd-fresh   pidfd_open + pidfd_getfd + close both          (anchor)
 *   pidfd-kept    pidfd_getfd + close, one pidfd                 (anchor)
 *   procfs        open /proc/PID/fd/N + close                    (anchor)
 *   dup           dup + close of our own fd                      (anchor)
 *   scm           SCM_RIGHTS round trip with a forked holder     (cooperative anchor)
 *   same-fresh    what Adopter.adopt(pid:fd:) does, via=pidfd:
 *                 pidfd_open, pidfd_getfd, fstat, fstatfs, readlink
 *                 /proc/self/fd/M, close, close
 *   same-kept     the same with the pidfd kept
 *   same-procfs   what Adopter.adopt does, via=procfs: pidfd_open, read
 *                 fdinfo (flags), open /proc/PID/fd/N, poll pidfd, fstat,
 *                 fstatfs, readlink, close, close
 *   list-same     what `adopt list` does per memfd: pidfd_getfd, fstat,
 *                 readlinkat of an O_PATH handle on /proc/self/fd/N (opened
 *                 once: N is reused), F_GET_SEALS, close (fstatfs: once
 *                 per filesystem, not per fd)
 *   map-fresh     same-kept + mmap of the whole buffer + munmap (fd FIRST only)
 * Copy modes (fd FIRST of PID, a big memfd; result in MB/s):
 *   memcpy        memcpy from a pre-faulted mapping into a 1 MiB buffer (the bandwidth limit)
 *   map-read      pidfd_getfd, mmap, memcpy 1 MiB chunks out of the fresh mapping, munmap
 */
#include "baseline.h"	/* first: it defines _GNU_SOURCE */

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

static double now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "cbench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static pid_t pid;
static int first, last, cur;
static int kept_pidfd = -1;
static char linkbuf[4096];

static int next_fd(void)
{
	int fd = cur;
	cur = cur >= last ? first : cur + 1;
	return fd;
}

static void identify(int fd)
{
	struct stat st;
	struct statfs sfs;
	char path[64];

	if (fstat(fd, &st) < 0)
		die("fstat");
	if (fstatfs(fd, &sfs) < 0)
		die("fstatfs");
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (readlink(path, linkbuf, sizeof(linkbuf)) < 0)
		die("readlink");
}

/* scm: the holder side */
static int scm_sock = -1;

static void scm_setup(void)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		die("socketpair");
	pid_t child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		int mfd = memfd_create("scm", MFD_CLOEXEC);
		char req;
		close(sv[0]);
		while (read(sv[1], &req, 1) == 1) {
			char cbuf[CMSG_SPACE(sizeof(int))];
			struct iovec iov = { .iov_base = &req, .iov_len = 1 };
			struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
					      .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
			struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_RIGHTS;
			c->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(c), &mfd, sizeof(int));
			if (sendmsg(sv[1], &msg, 0) < 0)
				_exit(1);
		}
		_exit(0);
	}
	close(sv[1]);
	scm_sock = sv[0];
}

static void scm_once(void)
{
	char req = 'g', cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &req, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	int fd;

	if (write(scm_sock, &req, 1) != 1)
		die("scm write");
	if (recvmsg(scm_sock, &msg, MSG_CMSG_CLOEXEC) < 0)
		die("recvmsg");
	memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&msg)), sizeof(int));
	close(fd);
}

static size_t big_size;
static unsigned char *chunk;
static unsigned char *prefaulted;

static void op(const char *mode)
{
	if (!strcmp(mode, "pidfd-fresh")) {
		int p = pidfd_open(pid);
		if (p < 0) die("pidfd_open");
		int fd = pidfd_getfd(p, next_fd());
		if (fd < 0) die("pidfd_getfd");
		close(fd);
		close(p);
	} else if (!strcmp(mode, "pidfd-kept")) {
		int fd = pidfd_getfd(kept_pidfd, next_fd());
		if (fd < 0) die("pidfd_getfd");
		close(fd);
	} else if (!strcmp(mode, "procfs")) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, next_fd());
		int fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0) die("open");
		close(fd);
	} else if (!strcmp(mode, "dup")) {
		int fd = dup(kept_pidfd);
		if (fd < 0) die("dup");
		close(fd);
	} else if (!strcmp(mode, "scm")) {
		scm_once();
	} else if (!strcmp(mode, "same-fresh") || !strcmp(mode, "same-kept")) {
		int p = mode[5] == 'f' ? pidfd_open(pid) : kept_pidfd;
		if (p < 0) die("pidfd_open");
		int fd = pidfd_getfd(p, next_fd());
		if (fd < 0) die("pidfd_getfd");
		identify(fd);
		close(fd);
		if (p != kept_pidfd)
			close(p);
	} else if (!strcmp(mode, "same-procfs")) {
		char path[64], info[512];
		int n = next_fd();
		int p = pidfd_open(pid);
		if (p < 0) die("pidfd_open");
		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, n);
		int fi = open(path, O_RDONLY | O_CLOEXEC);
		if (fi < 0) die("open fdinfo");
		while (read(fi, info, sizeof(info)) > 0)
			;
		close(fi);
		snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, n);
		int fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0) die("open");
		struct pollfd pfd = { .fd = p, .events = POLLIN };
		if (poll(&pfd, 1, 0) != 0) die("poll");
		identify(fd);
		close(fd);
		close(p);
	} else if (!strcmp(mode, "list-same")) {
		static int handle = -1, handle_fd = -1;
		struct stat st;
		int fd = pidfd_getfd(kept_pidfd, next_fd());
		if (fd < 0) die("pidfd_getfd");
		if (fstat(fd, &st) < 0) die("fstat");
		if (fd != handle_fd) {
			char path[64];
			if (handle >= 0)
				close(handle);
			snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
			handle = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
			if (handle < 0) die("open O_PATH");
			handle_fd = fd;
		}
		if (readlinkat(handle, "", linkbuf, sizeof(linkbuf)) < 0) die("readlinkat");
		if (fcntl(fd, F_GET_SEALS) < 0) die("F_GET_SEALS");
		close(fd);
	} else if (!strcmp(mode, "map-fresh")) {
		int fd = pidfd_getfd(kept_pidfd, first);
		if (fd < 0) die("pidfd_getfd");
		struct stat st;
		identify(fd);
		fstat(fd, &st);
		void *m = mmap(NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
		if (m == MAP_FAILED) die("mmap");
		munmap(m, st.st_size);
		close(fd);
	} else if (!strcmp(mode, "memcpy")) {
		for (size_t off = 0; off < big_size; off += 1 << 20)
			memcpy(chunk, prefaulted + off, big_size - off < (1 << 20) ? big_size - off : 1 << 20);
	} else if (!strcmp(mode, "map-read")) {
		int fd = pidfd_getfd(kept_pidfd, first);
		if (fd < 0) die("pidfd_getfd");
		unsigned char *m = mmap(NULL, big_size, PROT_READ, MAP_SHARED, fd, 0);
		if (m == MAP_FAILED) die("mmap");
		for (size_t off = 0; off < big_size; off += 1 << 20)
			memcpy(chunk, m + off, big_size - off < (1 << 20) ? big_size - off : 1 << 20);
		munmap(m, big_size);
		close(fd);
	} else {
		fprintf(stderr, "cbench: unknown mode %s\n", mode);
		exit(2);
	}
}

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: cbench MODE PID FIRST_FD LAST_FD [ITERS] [BATCHES]\n");
		return 2;
	}
	const char *mode = argv[1];
	pid = atoi(argv[2]);
	first = atoi(argv[3]);
	last = atoi(argv[4]);
	long iters = argc > 5 ? atol(argv[5]) : 2000;
	int batches = argc > 6 ? atoi(argv[6]) : 5;
	int copy = !strcmp(mode, "memcpy") || !strcmp(mode, "map-read");
	cur = first;

	kept_pidfd = pidfd_open(pid);
	if (kept_pidfd < 0)
		die("pidfd_open");
	if (!strcmp(mode, "scm"))
		scm_setup();
	if (copy) {
		int fd = pidfd_getfd(kept_pidfd, first);
		struct stat st;
		if (fd < 0 || fstat(fd, &st) < 0)
			die("pidfd_getfd");
		big_size = st.st_size;
		if (posix_memalign((void **)&chunk, 4096, 1 << 20))
			die("posix_memalign");
		memset(chunk, 0, 1 << 20);
		if (!strcmp(mode, "memcpy")) {
			prefaulted = mmap(NULL, big_size, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
			if (prefaulted == MAP_FAILED)
				die("mmap");
		}
		close(fd);
	}

	for (long i = 0; i < (copy ? 1 : iters / 10 + 1); i++)
		op(mode);
	double *t = calloc(batches, sizeof(double));
	for (int b = 0; b < batches; b++) {
		double t0 = now_ns();
		for (long i = 0; i < iters; i++)
			op(mode);
		t[b] = (now_ns() - t0) / iters;
	}
	qsort(t, batches, sizeof(double), cmp);
	double med = t[batches / 2];
	if (copy)
		printf("%.1f\n", big_size / med * 1e3); /* bytes/ns*1e3 = MB/s */
	else
		printf("%.1f\n", med);
	if (scm_sock >= 0) {
		close(scm_sock);
		wait(NULL);
	}
	return 0;
}
