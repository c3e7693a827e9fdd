// SPDX-License-Identifier: Apache-2.0
/*
 * listfloor: the syscalls `adopt list --no-sharers PID` makes, and nothing
 * else, as a whole process: the floor under row 3's whole-command ratio
 * (lsfd / this is the most any single-threaded lister making these
 * syscalls can be faster than lsfd). Per fd: pidfd_getfd, fstat,
 * readlinkat of an O_PATH handle on /proc/self/fd/N (opened once: N is
 * reused), F_GET_SEALS for a regular file, close; fstatfs once per
 * device. Fd numbers are probed from 0 until /proc/PID/fd's count was
 * found, as adopt does on 6.2+. No row is formatted: it prints the
 * number of memfds seen.
 *
 *   listfloor PID
 */
#include "baseline.h"

#include <errno.h>

int main(int argc, char **argv)
{
	char path[64], link[512];
	struct stat st;
	dev_t last_dev = (dev_t)-1;
	int handle = -1, handle_fd = -1, found = 0, memfds = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: listfloor PID\n");
		return 2;
	}
	snprintf(path, sizeof(path), "/proc/%s/fd", argv[1]);
	if (stat(path, &st) < 0 || st.st_size == 0) {
		fprintf(stderr, "listfloor: %s: no fd count (%s)\n", path, strerror(errno));
		return 1;
	}
	long count = st.st_size;
	int pidfd = pidfd_open(atoi(argv[1]));
	int self = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (pidfd < 0 || self < 0) {
		fprintf(stderr, "listfloor: pidfd_open or /proc/self/fd: %s\n", strerror(errno));
		return 1;
	}
	for (int n = 0; found < count && n - found <= count / 2 + 16; n++) {
		int fd = pidfd_getfd(pidfd, n);

		if (fd < 0)
			continue;
		found++;
		if (fstat(fd, &st) == 0) {
			if (st.st_dev != last_dev) {
				struct statfs sfs;

				fstatfs(fd, &sfs);
				last_dev = st.st_dev;
			}
			if (S_ISREG(st.st_mode)) {
				if (fd != handle_fd) {
					char name[16];

					if (handle >= 0)
						close(handle);
					snprintf(name, sizeof(name), "%d", fd);
					handle = openat(self, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
					handle_fd = fd;
				}
				ssize_t len = readlinkat(handle, "", link, sizeof(link));

				if (len > 7 && !memcmp(link, "/memfd:", 7)) {
					fcntl(fd, F_GET_SEALS);
					memfds++;
				}
			}
		}
		close(fd);
	}
	printf("%d memfds\n", memfds);
	return 0;
}
