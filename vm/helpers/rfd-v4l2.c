// SPDX-License-Identifier: GPL-2.0-only
/*
 * rfd-v4l2: a V4L2 capture process whose frames are dma-bufs, for
 * `adopt --format auto` (vm/scenarios/59-image.sh).  Opens the first video
 * device that captures single-planar video (vivid's), sets WxH in FOURCC
 * (default 640x360 YUYV; the driver may adjust: G_FMT after says), asks
 * for 2 MMAP buffers, exports each as a dma-buf (VIDIOC_EXPBUF), streams
 * until one frame is dequeued, stops streaming and prints
 *
 *   pid P video FD dmabuf FD size S width W height H stride B format F index I
 *
 * (the dma-buf of the dequeued buffer), then waits for a signal holding
 * every fd.
 *
 *   rfd-v4l2 [--size WxH] [--format FOURCC] [--device /dev/videoN]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/videodev2.h>

static int xioctl(int fd, unsigned long request, void *arg)
{
	int rc;

	do
		rc = ioctl(fd, request, arg);
	while (rc < 0 && errno == EINTR);
	return rc;
}

static void die(const char *what)
{
	fprintf(stderr, "rfd-v4l2: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* The device's capabilities if it captures single-planar video and streams. */
static int captures(int fd)
{
	struct v4l2_capability cap;
	__u32 caps;

	memset(&cap, 0, sizeof(cap));
	if (xioctl(fd, VIDIOC_QUERYCAP, &cap) < 0)
		return 0;
	caps = (cap.capabilities & V4L2_CAP_DEVICE_CAPS) ? cap.device_caps : cap.capabilities;
	return (caps & V4L2_CAP_VIDEO_CAPTURE) && (caps & V4L2_CAP_STREAMING);
}

int main(int argc, char **argv)
{
	const char *device = NULL, *fourcc = "YUYV";
	unsigned int width = 640, height = 360;
	struct v4l2_requestbuffers req;
	struct v4l2_exportbuffer exp;
	struct v4l2_format fmt;
	struct v4l2_buffer buf;
	enum v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	struct pollfd pfd;
	char path[32];
	int fd = -1, dmabuf[2], i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--size") && i + 1 < argc) {
			if (sscanf(argv[++i], "%ux%u", &width, &height) != 2) {
				fprintf(stderr, "rfd-v4l2: --size WxH\n");
				return 2;
			}
		} else if (!strcmp(argv[i], "--format") && i + 1 < argc && strlen(argv[i + 1]) == 4) {
			fourcc = argv[++i];
		} else if (!strcmp(argv[i], "--device") && i + 1 < argc) {
			device = argv[++i];
		} else {
			fprintf(stderr, "usage: rfd-v4l2 [--size WxH] [--format FOURCC] [--device /dev/videoN]\n");
			return 2;
		}
	}
	if (device) {
		fd = open(device, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			die(device);
		if (!captures(fd)) {
			fprintf(stderr, "rfd-v4l2: %s does not capture single-planar video\n", device);
			return 1;
		}
	} else {
		for (i = 0; i < 64 && fd < 0; i++) {
			snprintf(path, sizeof(path), "/dev/video%d", i);
			fd = open(path, O_RDWR | O_CLOEXEC);
			if (fd >= 0 && !captures(fd)) {
				close(fd);
				fd = -1;
			}
		}
		if (fd < 0) {
			fprintf(stderr, "rfd-v4l2: no video capture device in /dev/video0..63\n");
			return 1;
		}
	}

	memset(&fmt, 0, sizeof(fmt));
	fmt.type = type;
	fmt.fmt.pix.width = width;
	fmt.fmt.pix.height = height;
	fmt.fmt.pix.pixelformat = v4l2_fourcc(fourcc[0], fourcc[1], fourcc[2], fourcc[3]);
	fmt.fmt.pix.field = V4L2_FIELD_NONE;
	if (xioctl(fd, VIDIOC_S_FMT, &fmt) < 0)
		die("VIDIOC_S_FMT");
	memset(&fmt, 0, sizeof(fmt));
	fmt.type = type;
	if (xioctl(fd, VIDIOC_G_FMT, &fmt) < 0)
		die("VIDIOC_G_FMT");

	memset(&req, 0, sizeof(req));
	req.count = 2;
	req.type = type;
	req.memory = V4L2_MEMORY_MMAP;
	if (xioctl(fd, VIDIOC_REQBUFS, &req) < 0)
		die("VIDIOC_REQBUFS");
	if (req.count < 2) {
		fprintf(stderr, "rfd-v4l2: %u buffers\n", req.count);
		return 1;
	}
	for (i = 0; i < 2; i++) {
		memset(&exp, 0, sizeof(exp));
		exp.type = type;
		exp.index = i;
		exp.flags = O_RDONLY | O_CLOEXEC;
		if (xioctl(fd, VIDIOC_EXPBUF, &exp) < 0)
			die("VIDIOC_EXPBUF");
		dmabuf[i] = exp.fd;
	}
	for (i = 0; i < 2; i++) {
		memset(&buf, 0, sizeof(buf));
		buf.type = type;
		buf.memory = V4L2_MEMORY_MMAP;
		buf.index = i;
		if (xioctl(fd, VIDIOC_QBUF, &buf) < 0)
			die("VIDIOC_QBUF");
	}
	if (xioctl(fd, VIDIOC_STREAMON, &type) < 0)
		die("VIDIOC_STREAMON");
	pfd.fd = fd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 30000) != 1) {
		fprintf(stderr, "rfd-v4l2: no frame within 30 s\n");
		return 1;
	}
	memset(&buf, 0, sizeof(buf));
	buf.type = type;
	buf.memory = V4L2_MEMORY_MMAP;
	if (xioctl(fd, VIDIOC_DQBUF, &buf) < 0)
		die("VIDIOC_DQBUF");
	/* Stopped: the dequeued buffer keeps its frame while we wait. */
	if (xioctl(fd, VIDIOC_STREAMOFF, &type) < 0)
		die("VIDIOC_STREAMOFF");

	printf("pid %d video %d dmabuf %d size %u width %u height %u stride %u format %.4s index %u\n",
	       getpid(), fd, dmabuf[buf.index], buf.bytesused ? buf.bytesused : fmt.fmt.pix.sizeimage,
	       fmt.fmt.pix.width, fmt.fmt.pix.height, fmt.fmt.pix.bytesperline,
	       (char *)&fmt.fmt.pix.pixelformat, buf.index);
	fflush(stdout);
	for (;;)
		pause();
}
