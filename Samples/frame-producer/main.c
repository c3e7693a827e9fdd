// SPDX-License-Identifier: Apache-2.0
/*
 * frame-producer: holds a frame in a memfd, as a compositor's or a camera's
 * shared buffer would, for `adopt --format … --image/--view` and
 * Samples/frame-grab.
 *
 *   frame-producer [--size WxH] [--format XR24|NV12] [--interval MS]
 *
 * XR24 (default, 256x144): B, G, R, X bytes per pixel. The upper two
 * thirds are eight colour bars (white, yellow, cyan, green, magenta, red,
 * blue, black), the lower third a grey ramp from black to white with a
 * red square on it that moves one step every interval (--interval 0: it
 * stays put). NV12: the same layout in luma (the bars as eight grey
 * levels, the ramp) and constant neutral chroma: no colour conversion.
 * Prints "pid PID fd FD size BYTES format F width W height H" and waits.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "frame-producer: %s: %s\n", what, strerror(errno));
	exit(1);
}

static const uint8_t bars[8][3] = {	/* R, G, B */
	{ 255, 255, 255 }, { 255, 255, 0 }, { 0, 255, 255 }, { 0, 255, 0 },
	{ 255, 0, 255 }, { 255, 0, 0 }, { 0, 0, 255 }, { 0, 0, 0 },
};

/* The square's side and its left edge at step n. */
static unsigned int square_x(unsigned int w, unsigned int side, unsigned long n)
{
	unsigned int span = w > side ? w - side : 1;
	unsigned int x = (unsigned int)(n * 4 % (2 * span));

	return x < span ? x : 2 * span - x;
}

static void draw_xr24(uint8_t *p, unsigned int w, unsigned int h, unsigned long n)
{
	unsigned int split = h * 2 / 3, side = (h - split) / 2, sx = square_x(w, side, n);
	unsigned int sy = split + (h - split - side) / 2;

	for (unsigned int y = 0; y < h; y++) {
		for (unsigned int x = 0; x < w; x++) {
			uint8_t *px = p + ((size_t)y * w + x) * 4;
			uint8_t r, g, b;

			if (y < split) {
				const uint8_t *c = bars[x * 8 / w];
				r = c[0], g = c[1], b = c[2];
			} else if (x >= sx && x < sx + side && y >= sy && y < sy + side) {
				r = 255, g = 0, b = 0;
			} else {
				r = g = b = (uint8_t)(x * 255 / (w > 1 ? w - 1 : 1));
			}
			px[0] = b, px[1] = g, px[2] = r, px[3] = 0xff;
		}
	}
}

static void draw_nv12(uint8_t *p, unsigned int w, unsigned int h, unsigned long n)
{
	unsigned int split = h * 2 / 3, side = (h - split) / 2, sx = square_x(w, side, n);
	unsigned int sy = split + (h - split - side) / 2;

	for (unsigned int y = 0; y < h; y++)
		for (unsigned int x = 0; x < w; x++) {
			uint8_t luma;

			if (y < split)
				luma = (uint8_t)(235 - (x * 8 / w) * 219 / 7);
			else if (x >= sx && x < sx + side && y >= sy && y < sy + side)
				luma = 16;
			else
				luma = (uint8_t)(16 + x * 219 / (w > 1 ? w - 1 : 1));
			p[(size_t)y * w + x] = luma;
		}
	memset(p + (size_t)w * h, 128, (size_t)w * (h / 2));
}

int main(int argc, char **argv)
{
	unsigned int w = 256, h = 144;
	int interval_ms = 1000, nv12 = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--size") && v && sscanf(v, "%ux%u", &w, &h) == 2) i++;
		else if (!strcmp(a, "--format") && v && (!strcmp(v, "XR24") || !strcmp(v, "NV12"))) { nv12 = !strcmp(v, "NV12"); i++; }
		else if (!strcmp(a, "--interval") && v) { interval_ms = atoi(v); i++; }
		else {
			fprintf(stderr, "usage: %s [--size WxH] [--format XR24|NV12] [--interval MS]\n", argv[0]);
			return 2;
		}
	}
	if (w < 8 || h < 6 || w > 8192 || h > 8192 || (nv12 && (w % 2 || h % 2))) {
		fprintf(stderr, "frame-producer: --size from 8x6 to 8192x8192 (even for NV12)\n");
		return 2;
	}
	size_t size = nv12 ? (size_t)w * h * 3 / 2 : (size_t)w * h * 4;
	int fd = memfd_create("frame", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		die("memfd_create");
	if (ftruncate(fd, (off_t)size) < 0)
		die("ftruncate");
	uint8_t *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("mmap");
	(nv12 ? draw_nv12 : draw_xr24)(p, w, h, 0);
	printf("pid %d fd %d size %zu format %s width %u height %u\n", getpid(), fd, size, nv12 ? "NV12" : "XR24", w, h);
	fflush(stdout);
	for (unsigned long n = 1;; n++) {
		if (interval_ms <= 0) {
			pause();
			continue;
		}
		usleep((useconds_t)interval_ms * 1000);
		(nv12 ? draw_nv12 : draw_xr24)(p, w, h, n);
	}
}
