// SPDX-License-Identifier: GPL-2.0-only
/*
 * rfd-matrix: the permission matrix for the current Yama ptrace_scope.
 * For each caller kind x target kind, computes side by side the answer of
 * pidfd_getfd(2), of REMOTEFD_IOC_GETFD by pid and by pidfd, and of the
 * original /proc/remotefd ABI; one PASS/FAIL line per cell.  A cell passes
 * when all four agree and pidfd_getfd's answer is the expected one (so a
 * wrong environment cannot make the matrix vacuous).
 *
 *   rfd-matrix LABEL      (run as root; the target uid is 1000)
 */
#include "rfd-test.h"
#include <signal.h>
#include <sys/prctl.h>

/* The Yama ptrace_scope the current pass runs at. */
static int scope;

/* Fork a target running as uid 1000 holding a memfd; returns its pid. */
static pid_t spawn_target(int nondump, int *memfd)
{
	int p[2];
	pid_t pid;

	if (pipe(p))
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		int fd;

		close(p[0]);
		if (getuid() != 1000)
			drop_to(1000);
		prctl(PR_SET_DUMPABLE, nondump ? 0 : 1);
		fd = memfd_create("matrix", 0);
		if (fd < 0 || write(fd, "matrix-cell", 11) != 11)
			_exit(3);
		if (write(p[1], &fd, sizeof(fd)) != sizeof(fd))
			_exit(3);
		for (;;)
			pause();
	}
	close(p[1]);
	if (read(p[0], memfd, sizeof(*memfd)) != sizeof(*memfd))
		die("target setup");
	close(p[0]);
	return pid;
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* Runs in the caller process; exit status 0 = cell passed. */
static int caller(const char *label, enum rfd_caller c, int nondump, pid_t tpid,
		  int memfd)
{
	int dev, proc, pidfd, ref, m_pid, m_pidfd, leg, exp, agree;

	switch (c) {
	case ROOT:
		break;
	case SAME:
		drop_to(1000);
		break;
	case PARENT:
		drop_to(1000);
		tpid = spawn_target(nondump, &memfd);
		break;
	case OTHER:
		drop_to(1001);
		break;
	case MIXED:
		if (setgroups(0, NULL) || setresgid(1001, 1000, 1000) ||
		    setresuid(1001, 1000, 1000))
			die("setresuid");
		break;
	default:
		break;
	}
	dev = open("/dev/remotefd", O_RDWR);
	proc = open("/proc/remotefd", O_RDWR);
	pidfd = sys_pidfd_open(tpid);
	if (dev < 0 || proc < 0 || pidfd < 0)
		die("open device/proc/pidfd");

	ref = pidfd_getfd_res(tpid, memfd);
	m_pid = rfd_getfd(dev, tpid, memfd, 0, O_CLOEXEC);
	m_pidfd = rfd_getfd(dev, pidfd, memfd, REMOTEFD_TARGET_PIDFD,
			    O_CLOEXEC);
	leg = rfd_legacy(proc, tpid, memfd);
	exp = rfd_expected_ok(scope, c, nondump);

	agree = (ref >= 0 ? ref >= 0 && m_pid >= 0 && m_pidfd >= 0 && leg >= 0 &&
		 same_file(ref, m_pid) && same_file(ref, m_pidfd) &&
		 same_file(ref, leg)
		 : m_pid == ref && m_pidfd == ref && leg < 0);
	check(agree && (ref >= 0) == exp,
	      "%s scope=%d caller=%s target=%s: expected %s, pidfd_getfd %s, module by pid %s, by pidfd %s, /proc/remotefd %s",
	      label, scope, rfd_caller_name[c], nondump ? "nondumpable" : "dumpable",
	      exp ? "OK" : "EPERM", res_name(ref), res_name(m_pid),
	      res_name(m_pidfd), leg >= 0 ? "OK" : "o_fd=-1");
	if (c == PARENT)
		reap(tpid);
	return n_fail ? 1 : 0;
}

int main(int argc, char **argv)
{
	const char *label = argc > 1 ? argv[1] : "matrix";
	int c, nondump, memfd = -1, status, fails = 0, cells = 0;
	FILE *f = fopen("/proc/sys/kernel/yama/ptrace_scope", "r");

	if (!f || fscanf(f, "%d", &scope) != 1)
		die("read ptrace_scope");
	fclose(f);
	setvbuf(stdout, NULL, _IOLBF, 0);

	for (c = 0; c < N_CALLERS; c++) {
		for (nondump = 0; nondump < 2; nondump++) {
			pid_t tpid = 0, cpid;

			if (c != PARENT)
				tpid = spawn_target(nondump, &memfd);
			cpid = fork();
			if (cpid < 0)
				die("fork");
			if (!cpid)
				_exit(caller(label, c, nondump, tpid, memfd));
			waitpid(cpid, &status, 0);
			if (!WIFEXITED(status) || WEXITSTATUS(status))
				fails++;
			cells++;
			if (tpid)
				reap(tpid);
		}
	}
	printf("# %s scope %d: %d cells, %d failed\n", label, scope, cells,
	       fails);
	return fails ? 1 : 0;
}
