/* SPDX-License-Identifier: Apache-2.0 */
/* libyuv's C API: pixel format conversion and scaling for RemoteFDImage. */
#include <libyuv.h>
#include <libyuv/scale_rgb.h>
