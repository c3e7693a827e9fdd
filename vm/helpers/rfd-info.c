// SPDX-License-Identifier: GPL-2.0-only
/*
 * rfd-info: print REMOTEFD_IOC_INFO.  With --expect-kprobe or
 * --expect-no-kprobe, exit 1 unless the KPROBE_LOOKUP feature matches.
 */
#include "rfd-test.h"

int main(int argc, char **argv)
{
	struct remotefd_info info;
	int dev = open("/dev/remotefd", O_RDONLY), want = -1;

	if (argc > 1)
		want = !strcmp(argv[1], "--expect-kprobe");
	if (dev < 0 || ioctl(dev, REMOTEFD_IOC_INFO, &info)) {
		perror("REMOTEFD_IOC_INFO");
		return 1;
	}
	printf("abi_version %u features %#x%s%s%s\n", info.abi_version,
	       info.features,
	       info.features & REMOTEFD_FEAT_PIDFD ? " pidfd" : "",
	       info.features & REMOTEFD_FEAT_LEGACY_PROC ? " legacy-proc" : "",
	       info.features & REMOTEFD_FEAT_KPROBE_LOOKUP ? " kprobe-lookup" : "");
	if (want >= 0 && !!(info.features & REMOTEFD_FEAT_KPROBE_LOOKUP) != want)
		return 1;
	return 0;
}
