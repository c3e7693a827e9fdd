// SPDX-License-Identifier: Apache-2.0
/*
 * dmabuf-producer: holds dma-bufs from a real exporter and writes a counter
 * pattern into them, so that `adopt` has something to adopt.
 *
 *   dmabuf-producer [--exporter vgem|udmabuf|heap] [--count N] [--size BYTES]
 *                   [--interval-ms MS] [--ticks K] [--readonly] [--close-after-map]
 *   dmabuf-producer --expect --size BYTES [--index I] --tick K
 *   dmabuf-producer --hold PID FD [PID FD ...]
 *
 * Producer mode prints one `pid <PID> fd <FD>` line per buffer on stdout
 * (udmabuf: followed by `memfd <FD>`, the memfd the dma-buf was made from),
 * then `ready`, and flushes. Every interval it writes tick k into every
 * buffer, each CPU write bracketed by DMA_BUF_IOCTL_SYNC START/END WRITE
 * issued with libdrm's drmIoctl. With --ticks K it stops after tick K and
 * prints `stable <K>` on stdout: the contents then never change again.
 *
 * The contents of buffer I at tick K (what --expect prints):
 *   "dmabuf-producer buf I tick K\n" at offset 0, then byte j =
 *   (j * 7 + I * 31 + K) & 0xff for every later offset j.
 *
 * Exporters:
 *   vgem     DRM_IOCTL_MODE_CREATE_DUMB on the card whose driver is "vgem",
 *            exported with drmPrimeHandleToFD(DRM_CLOEXEC | DRM_RDWR)
 *            (--readonly: DRM_CLOEXEC only; writes then go through the
 *            card's dumb-buffer mapping).
 *   udmabuf  a memfd (F_SEAL_SHRINK, no F_SEAL_WRITE) turned into a dma-buf
 *            by UDMABUF_CREATE on /dev/udmabuf (always read-write).
 *   heap     DMA_HEAP_IOCTL_ALLOC on /dev/dma_heap/system (--readonly:
 *            exported O_RDONLY, contents stay zero: nobody can write them).
 * Each buffer is named "rfd-<exporter>-<I>" with DMA_BUF_SET_NAME_B.
 *
 * --close-after-map: each buffer is mapped, then its fd (and udmabuf's
 * memfd) closed: buffers held by mappings only. The lines are then
 * `pid <PID> map <ADDR> size <BYTES>` (no fd, no memfd line), and writes
 * go without DMA_BUF_IOCTL_SYNC (no fd left to issue it on).
 *
 * Hold mode takes the given fds of other processes with pidfd_getfd(2),
 * prints `pid <self> fd <newfd>` for each and sleeps: a second holder, so a
 * test can kill the producer and check the buffers outlive it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/udmabuf.h>

#include <xf86drm.h>
#include <drm.h>
#include <drm_mode.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
#ifndef F_SEAL_SHRINK
#define F_ADD_SEALS 1033
#define F_SEAL_SHRINK 0x0002
#endif

#define MAX_BUFFERS 64
#define PAGE 4096UL

struct buffer {
	int fd;              /* the dma-buf */
	int memfd;           /* udmabuf: the memfd behind it; -1 otherwise */
	uint32_t handle;     /* vgem: the GEM handle */
	size_t size;
	unsigned char *map;  /* where the producer writes */
	int map_is_dmabuf;   /* writes need DMA_BUF_IOCTL_SYNC brackets */
};

static const char *progname = "dmabuf-producer";

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void note(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- the pattern ---- */

static void fill(unsigned char *dst, size_t size, unsigned index, unsigned long tick)
{
	char header[64];
	int n = snprintf(header, sizeof(header), "dmabuf-producer buf %u tick %lu\n", index, tick);
	size_t h = (size_t)n < size ? (size_t)n : size;

	for (size_t j = h; j < size; j++)
		dst[j] = (unsigned char)((j * 7 + index * 31 + tick) & 0xff);
	memcpy(dst, header, h);
}

static int expect_mode(size_t size, unsigned index, unsigned long tick)
{
	unsigned char *buf = malloc(size ? size : 1);

	if (!buf)
		die("out of memory");
	fill(buf, size, index, tick);
	for (size_t off = 0; off < size;) {
		ssize_t n = write(1, buf + off, size - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("write: %s", strerror(errno));
		}
		off += (size_t)n;
	}
	free(buf);
	return 0;
}

/* ---- dma-buf helpers (through libdrm's drmIoctl: retries EINTR/EAGAIN) ---- */

static void dmabuf_sync(int fd, uint64_t flags)
{
	struct dma_buf_sync sync = { .flags = flags };

	if (drmIoctl(fd, DMA_BUF_IOCTL_SYNC, &sync) != 0)
		die("DMA_BUF_IOCTL_SYNC(0x%" PRIx64 ") on fd %d: %s", flags, fd, strerror(errno));
}

static void dmabuf_name(int fd, const char *name)
{
	/* DMA_BUF_SET_NAME_B: the argument is the string's address (a __u64 in
	 * the ioctl number, to be the same on 32- and 64-bit userspace). */
	if (drmIoctl(fd, DMA_BUF_SET_NAME_B, (void *)name) != 0)
		die("DMA_BUF_SET_NAME_B(\"%s\") on fd %d: %s", name, fd, strerror(errno));
}

/* ---- vgem ---- */

static int open_vgem(char *path, size_t pathlen)
{
	for (int minor = 0; minor < 16; minor++) {
		snprintf(path, pathlen, "/dev/dri/card%d", minor);
		int fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		drmVersionPtr v = drmGetVersion(fd);
		int is_vgem = v && v->name && strcmp(v->name, "vgem") == 0;
		drmFreeVersion(v);
		if (is_vgem)
			return fd;
		close(fd);
	}
	return -1;
}

static void make_vgem(int card, struct buffer *b, size_t size, int readonly)
{
	struct drm_mode_create_dumb create = {
		.width = PAGE / 4, .height = (uint32_t)((size + PAGE - 1) / PAGE), .bpp = 32,
	};
	uint32_t flags = DRM_CLOEXEC | (readonly ? 0 : DRM_RDWR);

	if (drmIoctl(card, DRM_IOCTL_MODE_CREATE_DUMB, &create) != 0)
		die("vgem: DRM_IOCTL_MODE_CREATE_DUMB (%zu bytes): %s", size, strerror(errno));
	b->handle = create.handle;
	b->size = (size_t)create.size;
	if (drmPrimeHandleToFD(card, create.handle, flags, &b->fd) != 0)
		die("vgem: drmPrimeHandleToFD: %s", strerror(errno));
	if (readonly) {
		/* The dma-buf is read-only: write through the card's mapping of
		 * the dumb buffer instead (same pages). */
		struct drm_mode_map_dumb map = { .handle = create.handle };

		if (drmIoctl(card, DRM_IOCTL_MODE_MAP_DUMB, &map) != 0)
			die("vgem: DRM_IOCTL_MODE_MAP_DUMB: %s", strerror(errno));
		b->map = mmap(NULL, b->size, PROT_READ | PROT_WRITE, MAP_SHARED, card, (off_t)map.offset);
		b->map_is_dmabuf = 0;
	} else {
		b->map = mmap(NULL, b->size, PROT_READ | PROT_WRITE, MAP_SHARED, b->fd, 0);
		b->map_is_dmabuf = 1;
	}
	if (b->map == MAP_FAILED)
		die("vgem: mmap: %s", strerror(errno));
}

/* ---- udmabuf ---- */

static void make_udmabuf(int dev, struct buffer *b, size_t size, unsigned index)
{
	char name[32];

	snprintf(name, sizeof(name), "rfd-udmabuf-%u", index);
	b->memfd = memfd_create(name, MFD_ALLOW_SEALING | MFD_CLOEXEC);
	if (b->memfd < 0)
		die("udmabuf: memfd_create: %s", strerror(errno));
	if (ftruncate(b->memfd, (off_t)size) != 0)
		die("udmabuf: ftruncate: %s", strerror(errno));
	/* udmabuf insists on F_SEAL_SHRINK and refuses F_SEAL_WRITE. */
	if (fcntl(b->memfd, F_ADD_SEALS, F_SEAL_SHRINK) != 0)
		die("udmabuf: F_ADD_SEALS(F_SEAL_SHRINK): %s", strerror(errno));

	struct udmabuf_create create = {
		.memfd = (uint32_t)b->memfd, .flags = UDMABUF_FLAGS_CLOEXEC, .offset = 0, .size = size,
	};
	b->fd = drmIoctl(dev, UDMABUF_CREATE, &create);
	if (b->fd < 0)
		die("udmabuf: UDMABUF_CREATE (%zu bytes): %s", size, strerror(errno));
	b->size = size;
	b->map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, b->fd, 0);
	if (b->map == MAP_FAILED)
		die("udmabuf: mmap of the dma-buf: %s", strerror(errno));
	b->map_is_dmabuf = 1;
}

/* ---- system DMA heap ---- */

static void make_heap(int heap, struct buffer *b, size_t size, int readonly)
{
	struct dma_heap_allocation_data alloc = {
		.len = size,
		.fd_flags = (uint32_t)(O_CLOEXEC | (readonly ? O_RDONLY : O_RDWR)),
	};

	if (drmIoctl(heap, DMA_HEAP_IOCTL_ALLOC, &alloc) != 0)
		die("heap: DMA_HEAP_IOCTL_ALLOC (%zu bytes): %s", size, strerror(errno));
	b->fd = (int)alloc.fd;
	b->size = size;
	if (readonly) {
		b->map = NULL; /* nobody can write it: it stays zero */
		return;
	}
	b->map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, b->fd, 0);
	if (b->map == MAP_FAILED)
		die("heap: mmap: %s", strerror(errno));
	b->map_is_dmabuf = 1;
}

/* ---- hold mode ---- */

static __attribute__((noreturn)) int hold_mode(int argc, char **argv)
{
	if (argc < 2 || argc % 2)
		die("--hold takes PID FD pairs");
	for (int i = 0; i < argc; i += 2) {
		int pid = atoi(argv[i]), fd = atoi(argv[i + 1]);
		int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);

		if (pidfd < 0)
			die("pidfd_open(%d): %s", pid, strerror(errno));
		int got = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
		if (got < 0)
			die("pidfd_getfd(pid %d, fd %d): %s", pid, fd, strerror(errno));
		close(pidfd);
		printf("pid %d fd %d\n", (int)getpid(), got);
	}
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}

/* ---- main ---- */

static void usage(void)
{
	fprintf(stderr,
		"usage: %s [--exporter vgem|udmabuf|heap] [--count N] [--size BYTES]\n"
		"          [--interval-ms MS] [--ticks K] [--readonly] [--close-after-map]\n"
		"       %s --expect --size BYTES [--index I] --tick K\n"
		"       %s --hold PID FD [PID FD ...]\n",
		progname, progname, progname);
	exit(2);
}

static unsigned long number(const char *opt, const char *s)
{
	char *end;
	unsigned long v;

	if (!s)
		usage();
	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end || end == s)
		die("%s: not a number: %s", opt, s);
	return v;
}

static void sleep_ms(unsigned long ms)
{
	struct timespec ts = { .tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

int main(int argc, char **argv)
{
	const char *exporter = NULL;
	unsigned long count = 1, size = 65536, interval_ms = 500, ticks = 0;
	unsigned long index = 0, tick = 0;
	int readonly = 0, expect = 0, have_tick = 0, close_after_map = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--exporter"))
			exporter = argv[++i];
		else if (!strcmp(a, "--count"))
			count = number(a, argv[++i]);
		else if (!strcmp(a, "--size"))
			size = number(a, argv[++i]);
		else if (!strcmp(a, "--interval-ms"))
			interval_ms = number(a, argv[++i]);
		else if (!strcmp(a, "--ticks"))
			ticks = number(a, argv[++i]);
		else if (!strcmp(a, "--close-after-map"))
			close_after_map = 1;
		else if (!strcmp(a, "--readonly"))
			readonly = 1;
		else if (!strcmp(a, "--expect"))
			expect = 1;
		else if (!strcmp(a, "--index"))
			index = number(a, argv[++i]);
		else if (!strcmp(a, "--tick"))
			tick = number(a, argv[++i]), have_tick = 1;
		else if (!strcmp(a, "--hold"))
			return hold_mode(argc - i - 1, argv + i + 1);
		else
			usage();
	}
	if (expect) {
		if (!have_tick)
			die("--expect needs --tick");
		return expect_mode(size, (unsigned)index, tick);
	}
	if (count == 0 || count > MAX_BUFFERS)
		die("--count must be 1..%d", MAX_BUFFERS);
	if (size == 0 || size % PAGE)
		die("--size must be a non-zero multiple of %lu", PAGE);

	char card_path[32] = "";
	int dev = -1;
	if (!exporter || !strcmp(exporter, "vgem")) {
		dev = open_vgem(card_path, sizeof(card_path));
		if (dev >= 0)
			exporter = "vgem";
		else if (exporter)
			die("vgem: no DRM card with driver \"vgem\" in /dev/dri (is the vgem module loaded?)");
	}
	if (dev < 0 && (!exporter || !strcmp(exporter, "udmabuf"))) {
		dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
		if (dev >= 0)
			exporter = "udmabuf";
		else if (exporter)
			die("udmabuf: /dev/udmabuf: %s (kernel without CONFIG_UDMABUF?)", strerror(errno));
	}
	if (dev < 0 && (!exporter || !strcmp(exporter, "heap"))) {
		dev = open("/dev/dma_heap/system", O_RDONLY | O_CLOEXEC);
		if (dev >= 0)
			exporter = "heap";
		else if (exporter)
			die("heap: /dev/dma_heap/system: %s (kernel without CONFIG_DMABUF_HEAPS_SYSTEM?)", strerror(errno));
	}
	if (dev < 0) {
		if (exporter)
			die("unknown exporter '%s' (vgem, udmabuf or heap)", exporter);
		die("no dma-buf exporter available (no vgem card, no /dev/udmabuf, no /dev/dma_heap/system)");
	}
	if (readonly && close_after_map)
		die("--close-after-map needs the dma-buf's own mapping: not with --readonly");
	if (readonly && !strcmp(exporter, "udmabuf"))
		die("udmabuf: --readonly is not possible (udmabuf always exports read-write)");

	static struct buffer bufs[MAX_BUFFERS];
	for (unsigned i = 0; i < count; i++) {
		struct buffer *b = &bufs[i];
		char name[32];

		b->memfd = -1;
		if (!strcmp(exporter, "vgem"))
			make_vgem(dev, b, size, readonly);
		else if (!strcmp(exporter, "udmabuf"))
			make_udmabuf(dev, b, size, i);
		else
			make_heap(dev, b, size, readonly);
		snprintf(name, sizeof(name), "rfd-%s-%u", exporter, i);
		dmabuf_name(b->fd, name);
	}
	if (close_after_map) {
		for (unsigned i = 0; i < count; i++) {
			close(bufs[i].fd);
			bufs[i].fd = -1;
			bufs[i].map_is_dmabuf = 0;
			if (bufs[i].memfd >= 0) {
				close(bufs[i].memfd);
				bufs[i].memfd = -1;
			}
		}
	}
	note("exporter %s%s%s: %lu buffer(s) of %zu bytes%s", exporter,
	     card_path[0] ? " on " : "", card_path, count, bufs[0].size,
	     readonly ? ", exported read-only" : "");

	unsigned long k = 0;
	for (;;) {
		k++;
		for (unsigned i = 0; i < count; i++) {
			struct buffer *b = &bufs[i];

			if (!b->map)
				continue;
			if (b->map_is_dmabuf)
				dmabuf_sync(b->fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
			fill(b->map, b->size, i, k);
			if (b->map_is_dmabuf)
				dmabuf_sync(b->fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
		}
		if (k == 1) {
			for (unsigned i = 0; i < count; i++) {
				if (close_after_map) {
					printf("pid %d map %p size %zu\n", (int)getpid(), (void *)bufs[i].map, bufs[i].size);
					continue;
				}
				printf("pid %d fd %d\n", (int)getpid(), bufs[i].fd);
				if (bufs[i].memfd >= 0)
					printf("memfd %d\n", bufs[i].memfd);
			}
			printf("ready\n");
			fflush(stdout);
		}
		if (ticks && k == ticks) {
			printf("stable %lu\n", k);
			fflush(stdout);
			for (;;)
				pause();
		}
		sleep_ms(interval_ms);
	}
}
