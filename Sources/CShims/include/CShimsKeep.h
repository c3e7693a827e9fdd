/*
 * C glue for keeping and handing on adopted fds (issue #6):
 * - SCM_RIGHTS send/receive: CMSG_FIRSTHDR/CMSG_NXTHDR/CMSG_DATA are macros
 *   Swift cannot import, so the whole sendmsg/recvmsg lives here.
 * - SO_PEERCRED without _GNU_SOURCE (struct ucred is GNU-only in glibc).
 * - ptrace(2) is variadic; its request and event numbers are enum/macros.
 * - waitpid status decoding (W* are macros).
 * Every wrapper returns what the syscall returns and leaves errno set.
 */
#ifndef REMOTEFD_CSHIMS_KEEP_H
#define REMOTEFD_CSHIMS_KEEP_H

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/* At most this many fds travel in one message. */
#define RFD_MAX_PASSED_FDS 64

/* ---- SCM_RIGHTS ---- */

/*
 * sendmsg(2) of `len` bytes with `nfds` fds attached (none if nfds == 0),
 * to `addr` when addr_len > 0 (datagram sockets). MSG_NOSIGNAL: a peer that
 * went away is EPIPE, not SIGPIPE.
 */
static inline ssize_t rfd_send_fds(int sock, const void *buf, size_t len, const int *fds, int nfds,
				   const void *addr, unsigned int addr_len)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * RFD_MAX_PASSED_FDS)];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg;

	if (nfds < 0 || nfds > RFD_MAX_PASSED_FDS) {
		errno = EINVAL;
		return -1;
	}
	memset(&msg, 0, sizeof(msg));
	memset(&control, 0, sizeof(control));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (addr_len > 0) {
		msg.msg_name = (void *)addr;
		msg.msg_namelen = addr_len;
	}
	if (nfds > 0) {
		struct cmsghdr *cmsg;

		msg.msg_control = control.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * nfds);
	}
	return sendmsg(sock, &msg, MSG_NOSIGNAL);
}

/*
 * recvmsg(2) into `buf`; fds that came with the bytes are stored in `fds`
 * (close-on-exec), their number in *nfds. Fds beyond `maxfds` are closed and
 * *truncated set. Returns the byte count (0 at EOF).
 */
static inline ssize_t rfd_recv_fds(int sock, void *buf, size_t len, int *fds, int maxfds, int *nfds,
				   int *truncated)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * RFD_MAX_PASSED_FDS)];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg;
	struct cmsghdr *cmsg;
	ssize_t n;

	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = control.buf;
	msg.msg_controllen = sizeof(control.buf);
	*nfds = 0;
	*truncated = 0;
	n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	if (n < 0)
		return n;
	if (msg.msg_flags & MSG_CTRUNC)
		*truncated = 1;
	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
		if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		int count = (int)((cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		int *data = (int *)CMSG_DATA(cmsg);

		for (int i = 0; i < count; i++) {
			int fd;

			memcpy(&fd, data + i, sizeof(int));
			if (*nfds < maxfds) {
				fds[(*nfds)++] = fd;
			} else {
				close(fd);
				*truncated = 1;
			}
		}
	}
	return n;
}

/* ---- credentials ---- */

/* SO_PEERCRED: the peer's pid, uid and gid at connect(2) time. */
static inline int rfd_peer_cred(int sock, pid_t *pid, uid_t *uid, gid_t *gid)
{
	struct {
		pid_t pid;
		uid_t uid;
		gid_t gid;
	} cred;
	socklen_t len = sizeof(cred);
	int rc = getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cred, &len);

	if (rc == 0) {
		*pid = cred.pid;
		*uid = cred.uid;
		*gid = cred.gid;
	}
	return rc;
}

/* ---- unix socket addresses ---- */

/*
 * Fills a sockaddr_un for `path`; a leading '@' names the abstract namespace
 * (as $NOTIFY_SOCKET does). Returns the address length, or -1 (ENAMETOOLONG).
 */
static inline int rfd_unix_address(const char *path, struct sockaddr_un *addr)
{
	size_t len = strlen(path);

	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	if (len == 0 || len >= sizeof(addr->sun_path)) {
		errno = len == 0 ? EINVAL : ENAMETOOLONG;
		return -1;
	}
	memcpy(addr->sun_path, path, len);
	if (path[0] == '@') {
		addr->sun_path[0] = '\0';
		return (int)(offsetof(struct sockaddr_un, sun_path) + len);
	}
	return (int)(offsetof(struct sockaddr_un, sun_path) + len + 1);
}

static inline int rfd_unix_connect(int sock, const char *path)
{
	struct sockaddr_un addr;
	int len = rfd_unix_address(path, &addr);

	return len < 0 ? -1 : connect(sock, (struct sockaddr *)&addr, (socklen_t)len);
}

static inline int rfd_unix_bind(int sock, const char *path)
{
	struct sockaddr_un addr;
	int len = rfd_unix_address(path, &addr);

	return len < 0 ? -1 : bind(sock, (struct sockaddr *)&addr, (socklen_t)len);
}

/* sendmsg to a unix datagram address ($NOTIFY_SOCKET). */
static inline ssize_t rfd_send_fds_to(int sock, const char *path, const void *buf, size_t len,
				      const int *fds, int nfds)
{
	struct sockaddr_un addr;
	int alen = rfd_unix_address(path, &addr);

	return alen < 0 ? -1 : rfd_send_fds(sock, buf, len, fds, nfds, &addr, (unsigned int)alen);
}

/* accept4(sock, NULL, NULL, SOCK_CLOEXEC) (accept4 is GNU-only in glibc's headers). */
static inline int rfd_accept_cloexec(int sock)
{
	return (int)syscall(SYS_accept4, sock, NULL, NULL, SOCK_CLOEXEC);
}

/* SO_SNDTIMEO / SO_RCVTIMEO in milliseconds. */
static inline int rfd_socket_timeouts(int sock, int send_ms, int recv_ms)
{
	struct timeval s = { .tv_sec = send_ms / 1000, .tv_usec = (send_ms % 1000) * 1000 };
	struct timeval r = { .tv_sec = recv_ms / 1000, .tv_usec = (recv_ms % 1000) * 1000 };

	if (send_ms > 0 && setsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, &s, sizeof(s)) < 0)
		return -1;
	if (recv_ms > 0 && setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &r, sizeof(r)) < 0)
		return -1;
	return 0;
}

/* ---- signals as fds ---- */

/* Blocks SIGINT, SIGTERM and SIGHUP and returns a signalfd for them. */
static inline int rfd_termination_signalfd(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

/* Reads one signal from a signalfd: its number, or -1. */
static inline int rfd_read_signalfd(int fd)
{
	struct signalfd_siginfo info;

	return read(fd, &info, sizeof(info)) == (ssize_t)sizeof(info) ? (int)info.ssi_signo : -1;
}

/* Unblocks what rfd_termination_signalfd blocked (before exec). */
static inline int rfd_unblock_termination_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	return sigprocmask(SIG_UNBLOCK, &set, NULL);
}

/* ---- fd table ---- */

#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
/* close_range(first, ~0U, CLOSE_RANGE_CLOEXEC): mark every fd >= first close-on-exec. */
static inline int rfd_cloexec_from(unsigned int first)
{
	return (int)syscall(SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC);
}

static inline int rfd_dup_cloexec_above(int fd, int minimum) { return fcntl(fd, F_DUPFD_CLOEXEC, minimum); }

/* ---- ptrace ---- */

static inline long rfd_ptrace(int request, pid_t pid, unsigned long addr, unsigned long data)
{
	return ptrace((enum __ptrace_request)request, pid, (void *)addr, (void *)data);
}

static inline int rfd_ptrace_seize(void) { return PTRACE_SEIZE; }
static inline int rfd_ptrace_cont(void) { return PTRACE_CONT; }
static inline int rfd_ptrace_detach(void) { return PTRACE_DETACH; }
static inline int rfd_ptrace_listen(void) { return PTRACE_LISTEN; }
static inline int rfd_ptrace_interrupt(void) { return PTRACE_INTERRUPT; }
static inline int rfd_ptrace_geteventmsg(void) { return PTRACE_GETEVENTMSG; }
static inline unsigned long rfd_ptrace_o_traceexit(void) { return PTRACE_O_TRACEEXIT; }
static inline int rfd_ptrace_event_exit(void) { return PTRACE_EVENT_EXIT; }
static inline int rfd_ptrace_event_stop(void) { return PTRACE_EVENT_STOP; }

/* waitpid(pid, &status, __WALL), retried on EINTR by the caller. */
static inline pid_t rfd_waitpid_all(pid_t pid, int *status) { return waitpid(pid, status, __WALL); }

static inline int rfd_wifexited(int status) { return WIFEXITED(status); }
static inline int rfd_wexitstatus(int status) { return WEXITSTATUS(status); }
static inline int rfd_wifsignaled(int status) { return WIFSIGNALED(status); }
static inline int rfd_wtermsig(int status) { return WTERMSIG(status); }
static inline int rfd_wifstopped(int status) { return WIFSTOPPED(status); }
static inline int rfd_wstopsig(int status) { return WSTOPSIG(status); }
/* The PTRACE_EVENT_* of a ptrace-event stop (status >> 16), 0 for others. */
static inline int rfd_wptrace_event(int status) { return (status >> 16) & 0xff; }

#endif /* REMOTEFD_CSHIMS_KEEP_H */
