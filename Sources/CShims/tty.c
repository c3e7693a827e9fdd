// SPDX-License-Identifier: Apache-2.0
/*
 * A terminal briefly out of canonical mode for a query (its replies read
 * byte by byte, not echoed), its settings restored afterwards: by
 * rfd_tty_restore, or by a handler of the termination signals (those not
 * ignored) that restores them and then lets the signal take its course.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "CShims.h"

static const int tty_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
#define TTY_NSIGNALS (sizeof(tty_signals) / sizeof(tty_signals[0]))

static volatile sig_atomic_t tty_fd = -1;
static struct termios tty_saved;
static struct sigaction tty_old_actions[TTY_NSIGNALS];

static void tty_restore_handlers(void)
{
	for (size_t i = 0; i < TTY_NSIGNALS; i++)
		sigaction(tty_signals[i], &tty_old_actions[i], NULL);
}

static void tty_on_signal(int sig)
{
	int saved_errno = errno;

	if (tty_fd >= 0)
		tcsetattr(tty_fd, TCSANOW, &tty_saved);
	tty_fd = -1;
	tty_restore_handlers();
	/* Delivered once this handler returns, to the old disposition. */
	raise(sig);
	errno = saved_errno;
}

int rfd_tty_raw(int fd)
{
	struct termios raw;
	struct sigaction action;

	if (tty_fd >= 0) {
		errno = EBUSY;
		return -1;
	}
	if (tcgetattr(fd, &tty_saved) < 0)
		return -1;
	memset(&action, 0, sizeof(action));
	action.sa_handler = tty_on_signal;
	sigemptyset(&action.sa_mask);
	/* A signal ignored stays ignored. */
	for (size_t i = 0; i < TTY_NSIGNALS; i++) {
		sigaction(tty_signals[i], NULL, &tty_old_actions[i]);
		if (tty_old_actions[i].sa_handler != SIG_IGN)
			sigaction(tty_signals[i], &action, NULL);
	}
	tty_fd = fd;
	raw = tty_saved;
	raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO | IEXTEN);
	raw.c_iflag &= ~(tcflag_t)(ICRNL | IXON);
	raw.c_cc[VMIN] = 0;
	raw.c_cc[VTIME] = 0;
	if (tcsetattr(fd, TCSANOW, &raw) < 0) {
		int saved_errno = errno;

		rfd_tty_restore();
		errno = saved_errno;
		return -1;
	}
	return 0;
}

int rfd_tty_restore(void)
{
	int rc = 0;
	int fd = tty_fd;

	if (fd < 0)
		return 0;
	while ((rc = tcsetattr(fd, TCSANOW, &tty_saved)) < 0 && errno == EINTR)
		;
	tty_fd = -1;
	tty_restore_handlers();
	return rc;
}
