// SPDX-License-Identifier: Apache-2.0
/*
 * adopt1: the C baseline for `adopt PID FD` as a whole process: the same
 * adoption and description in plain C. pidfd_open, pidfd_getfd, fstat,
 * fstatfs, readlink /proc/self/fd/N, F_GET_SEALS, F_GETFL, mmap read-only
 * shared, pread of the first 256 bytes, then the same "key: value" lines
 * and hexdump -C preview as the CLI.
 *
 *   adopt1 PID FD
 */
#include "baseline.h"	/* first: it defines _GNU_SOURCE */

#include <ctype.h>

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: adopt1 PID FD\n");
		return 2;
	}
	pid_t pid = atoi(argv[1]);
	int tfd = atoi(argv[2]);
	int pidfd = pidfd_open(pid);
	if (pidfd < 0) { perror("pidfd_open"); return 1; }
	int fd = pidfd_getfd(pidfd, tfd);
	if (fd < 0) { perror("pidfd_getfd"); return 1; }
	struct stat st;
	struct statfs sfs;
	char path[64], link[4096];
	if (fstat(fd, &st) < 0 || fstatfs(fd, &sfs) < 0) { perror("fstat"); return 1; }
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(path, link, sizeof(link) - 1);
	if (n < 0) { perror("readlink"); return 1; }
	link[n] = 0;
	if (strncmp(link, "/memfd:", 7) != 0) { fprintf(stderr, "not a memfd\n"); return 1; }
	char *name = link + 7, *del = strstr(name, " (deleted)");
	if (del) *del = 0;
	int seals = fcntl(fd, F_GET_SEALS);
	int acc = fcntl(fd, F_GETFL) & O_ACCMODE;
	void *map = st.st_size ? mmap(NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0) : NULL;
	if (map == MAP_FAILED) { perror("mmap"); return 1; }
	unsigned char buf[256];
	ssize_t got = pread(fd, buf, sizeof(buf), 0);
	if (got < 0) { perror("pread"); return 1; }

	printf("pid:               %d\nfd:                %d\ntype:              memfd\nvia:               pidfd\n", pid, tfd);
	printf("inode:             %lu\nsize:              %ld\n", (unsigned long)st.st_ino, (long)st.st_size);
	printf("access:            %s\nname:              %s\n", acc == O_RDWR ? "read-write" : acc == O_WRONLY ? "write-only" : "read-only", name);
	printf("seals:             %s\nsealing:           %s\nhugetlb_page_size: -\n",
	       (seals & ~1) ? "some" : "none", (seals & 1) ? "locked (F_SEAL_SEAL)" : "allowed");
	printf("map:               mapped read-only, %ld bytes, shared; reads: pread\n\n", (long)st.st_size);
	for (ssize_t i = 0; i < got; i += 16) {
		printf("%08zx  ", i);
		for (ssize_t k = 0; k < 16; k++) {
			if (i + k < got) printf("%02x ", buf[i + k]); else printf("   ");
			if (k == 7) printf(" ");
		}
		printf(" |");
		for (ssize_t k = 0; k < 16 && i + k < got; k++)
			putchar(isprint(buf[i + k]) ? buf[i + k] : '.');
		printf("|\n");
	}
	if (map) munmap(map, st.st_size);
	close(fd);
	close(pidfd);
	return 0;
}
