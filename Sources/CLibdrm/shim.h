/* SPDX-License-Identifier: Apache-2.0 */
#include <xf86drm.h>
