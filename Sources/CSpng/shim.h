/* SPDX-License-Identifier: Apache-2.0 */
/* libspng (Debian: libspng-dev): PNG encoding for RemoteFDImage. */
#include <spng.h>
