// SPDX-License-Identifier: Apache-2.0
/* Termination signals (SIGINT, SIGTERM, SIGHUP) as an fd: signalfd(2). */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "CShims.h"

static void termination_set(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
}

int rfd_termination_signalfd(void)
{
	sigset_t set;

	termination_set(&set);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

int rfd_read_signalfd(int fd)
{
	struct signalfd_siginfo info;

	return read(fd, &info, sizeof(info)) == (ssize_t)sizeof(info) ? (int)info.ssi_signo : -1;
}

int rfd_unblock_termination_signals(void)
{
	sigset_t set;

	termination_set(&set);
	return sigprocmask(SIG_UNBLOCK, &set, NULL);
}
