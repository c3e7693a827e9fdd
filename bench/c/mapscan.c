// SPDX-License-Identifier: Apache-2.0
/*
 * mapscan: dmabuf_dump's approach (Android libdmabufinfo), generalised to
 * memfd and shm, as a baseline for `adopt list --all`: for every process,
 * every fd's link and /proc/PID/fdinfo/N (dmabuf_dump reads fdinfo for
 * exp_name, size, ino), then /proc/PID/maps, keeping the lines of memfd,
 * /dev/shm and dma-buf mappings; buffers joined by inode per process.
 * Prints the number of (process, buffer) pairs found.
 *
 *   mapscan
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int is_buffer(const char *path)
{
	return !strncmp(path, "/memfd:", 7) || !strncmp(path, "/dev/shm/", 9) ||
	       !strncmp(path, "/dmabuf:", 8);
}

int main(void)
{
	DIR *proc = opendir("/proc");
	struct dirent *p;
	static char buf[1 << 16], link[512], path[600];
	unsigned long pairs = 0;

	if (!proc)
		return 1;
	while ((p = readdir(proc))) {
		unsigned long inodes[4096];
		int n = 0;

		if (p->d_name[0] < '0' || p->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd", p->d_name);
		DIR *fdd = opendir(path);
		if (fdd) {
			struct dirent *f;
			while ((f = readdir(fdd))) {
				if (f->d_name[0] < '0' || f->d_name[0] > '9')
					continue;
				snprintf(path, sizeof(path), "/proc/%s/fd/%s", p->d_name, f->d_name);
				ssize_t l = readlink(path, link, sizeof(link) - 1);
				if (l < 0)
					continue;
				link[l] = 0;
				snprintf(path, sizeof(path), "/proc/%s/fdinfo/%s", p->d_name, f->d_name);
				int fd = open(path, O_RDONLY | O_CLOEXEC);
				if (fd < 0)
					continue;
				ssize_t r = read(fd, buf, sizeof(buf) - 1);
				close(fd);
				if (r <= 0)
					continue;
				buf[r] = 0;
				if (!is_buffer(link))
					continue;
				char *ino = strstr(buf, "ino:");
				if (ino && n < 4096)
					inodes[n++] = strtoul(ino + 4, NULL, 10);
				pairs++;
			}
			closedir(fdd);
		}
		snprintf(path, sizeof(path), "/proc/%s/maps", p->d_name);
		FILE *m = fopen(path, "r");
		if (!m)
			continue;
		char line[1024];
		while (fgets(line, sizeof(line), m)) {
			unsigned long ino;
			int off = 0;
			if (sscanf(line, "%*s %*s %*s %*s %lu %n", &ino, &off) < 1 || !off)
				continue;
			if (!is_buffer(line + off))
				continue;
			int seen = 0;
			for (int i = 0; i < n && !seen; i++)
				seen = inodes[i] == ino;
			if (!seen && n < 4096) {
				inodes[n++] = ino;
				pairs++;
			}
		}
		fclose(m);
	}
	closedir(proc);
	printf("%lu\n", pairs);
	return 0;
}
