// SPDX-License-Identifier: Apache-2.0
/* The format a V4L2 video device captures in: VIDIOC_QUERYCAP + VIDIOC_G_FMT (read-only). */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/videodev2.h>

#include "CShims.h"

static int xioctl(int fd, unsigned long request, void *arg)
{
	int rc;

	do
		rc = ioctl(fd, request, arg);
	while (rc < 0 && errno == EINTR);
	return rc;
}

int rfd_v4l2_capture_format(int fd, struct rfd_v4l2_capture_format *out)
{
	struct v4l2_capability cap;
	struct v4l2_format fmt;
	__u32 caps;

	memset(out, 0, sizeof(*out));
	memset(&cap, 0, sizeof(cap));
	if (xioctl(fd, VIDIOC_QUERYCAP, &cap) < 0)
		return -1;
	memcpy(out->card, cap.card, sizeof(out->card) - 1);
	memcpy(out->driver, cap.driver, sizeof(out->driver) - 1);
	caps = (cap.capabilities & V4L2_CAP_DEVICE_CAPS) ? cap.device_caps : cap.capabilities;
	memset(&fmt, 0, sizeof(fmt));
	if (caps & V4L2_CAP_VIDEO_CAPTURE) {
		fmt.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		if (xioctl(fd, VIDIOC_G_FMT, &fmt) < 0)
			return -1;
		out->width = fmt.fmt.pix.width;
		out->height = fmt.fmt.pix.height;
		out->bytesperline = fmt.fmt.pix.bytesperline;
		out->pixelformat = fmt.fmt.pix.pixelformat;
		out->sizeimage = fmt.fmt.pix.sizeimage;
		out->planes = 1;
		return 0;
	}
	if (caps & V4L2_CAP_VIDEO_CAPTURE_MPLANE) {
		fmt.type = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
		if (xioctl(fd, VIDIOC_G_FMT, &fmt) < 0)
			return -1;
		out->width = fmt.fmt.pix_mp.width;
		out->height = fmt.fmt.pix_mp.height;
		out->bytesperline = fmt.fmt.pix_mp.plane_fmt[0].bytesperline;
		out->pixelformat = fmt.fmt.pix_mp.pixelformat;
		out->sizeimage = fmt.fmt.pix_mp.plane_fmt[0].sizeimage;
		out->planes = fmt.fmt.pix_mp.num_planes;
		out->multiplanar = 1;
		return 0;
	}
	errno = ENODEV;
	return -1;
}
