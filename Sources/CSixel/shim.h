/* SPDX-License-Identifier: Apache-2.0 */
/* libsixel (Debian: libsixel-dev): sixel encoding for RemoteFDImage. */
#include <sixel.h>

/* Expression macros Swift does not import, as constants. */
static inline int rfd_sixel_pixelformat_rgb888(void) { return SIXEL_PIXELFORMAT_RGB888; }
static inline int rfd_sixel_succeeded(SIXELSTATUS status) { return SIXEL_SUCCEEDED(status); }
