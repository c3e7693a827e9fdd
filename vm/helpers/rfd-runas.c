// SPDX-License-Identifier: GPL-2.0-only
/*
 * rfd-runas UID COMMAND [ARG...]: drop to uid=gid=UID (no supplementary
 * groups) and exec COMMAND.  busybox setpriv has no --reuid.
 */
#include "rfd-test.h"

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: rfd-runas UID COMMAND [ARG...]\n");
		return 2;
	}
	drop_to((uid_t)atol(argv[1]));
	execvp(argv[2], argv + 2);
	perror(argv[2]);
	return 127;
}
