// SPDX-License-Identifier: Apache-2.0
/*
 * Unix sockets for keeping and handing on fds: SCM_RIGHTS send/receive
 * (CMSG_* are macros Swift cannot import), SO_PEERCRED, Unix addresses
 * with the abstract namespace, accept4 and timeouts.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "CShims.h"

static ssize_t send_fds(int sock, const void *buf, size_t len, const int *fds, int nfds,
			const struct sockaddr_un *addr, socklen_t addr_len)
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
 * Fills a sockaddr_un for `path`; a leading '@' names the abstract namespace
 * (as $NOTIFY_SOCKET does). Returns the address length, or -1 (EINVAL,
 * ENAMETOOLONG).
 */
static int unix_address(const char *path, struct sockaddr_un *addr)
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

ssize_t rfd_send_fds(int sock, const void *buf, size_t len, const int *fds, int nfds)
{
	return send_fds(sock, buf, len, fds, nfds, NULL, 0);
}

ssize_t rfd_send_fds_to(int sock, const char *path, const void *buf, size_t len, const int *fds, int nfds)
{
	struct sockaddr_un addr;
	int alen = unix_address(path, &addr);

	return alen < 0 ? -1 : send_fds(sock, buf, len, fds, nfds, &addr, (socklen_t)alen);
}

ssize_t rfd_recv_fds(int sock, void *buf, size_t len, int *fds, int maxfds, int *nfds, int *truncated)
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

int rfd_peer_cred(int sock, pid_t *pid, uid_t *uid, gid_t *gid)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int rc = getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cred, &len);

	if (rc == 0) {
		*pid = cred.pid;
		*uid = cred.uid;
		*gid = cred.gid;
	}
	return rc;
}

int rfd_unix_connect(int sock, const char *path)
{
	struct sockaddr_un addr;
	int len = unix_address(path, &addr);

	return len < 0 ? -1 : connect(sock, (struct sockaddr *)&addr, (socklen_t)len);
}

int rfd_unix_bind(int sock, const char *path)
{
	struct sockaddr_un addr;
	int len = unix_address(path, &addr);

	return len < 0 ? -1 : bind(sock, (struct sockaddr *)&addr, (socklen_t)len);
}

int rfd_accept_cloexec(int sock)
{
	return accept4(sock, NULL, NULL, SOCK_CLOEXEC);
}

int rfd_socket_timeouts(int sock, int send_ms, int recv_ms)
{
	struct timeval s = { .tv_sec = send_ms / 1000, .tv_usec = (send_ms % 1000) * 1000 };
	struct timeval r = { .tv_sec = recv_ms / 1000, .tv_usec = (recv_ms % 1000) * 1000 };

	if (send_ms > 0 && setsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, &s, sizeof(s)) < 0)
		return -1;
	if (recv_ms > 0 && setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &r, sizeof(r)) < 0)
		return -1;
	return 0;
}
