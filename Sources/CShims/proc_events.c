// SPDX-License-Identifier: Apache-2.0
/*
 * The netlink process-events connector (CN_IDX_PROC): the kernel reports
 * every exec and comm change, so a watcher need not poll /proc.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>

#include "CShims.h"

int rfd_proc_events_open(void)
{
	struct sockaddr_nl addr = { .nl_family = AF_NETLINK, .nl_groups = CN_IDX_PROC };
	/* nlmsghdr, then cn_msg (its data[] is the op): laid out by hand. */
	union {
		struct nlmsghdr nl;
		char bytes[NLMSG_SPACE(sizeof(struct cn_msg) + sizeof(enum proc_cn_mcast_op))];
	} req;
	struct cn_msg *cn = (struct cn_msg *)NLMSG_DATA(&req.nl);
	enum proc_cn_mcast_op op = PROC_CN_MCAST_LISTEN;
	int sock, err;

	sock = socket(PF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_CONNECTOR);
	if (sock < 0)
		return -1;
	if (bind(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		goto fail;
	memset(&req, 0, sizeof(req));
	req.nl.nlmsg_len = NLMSG_LENGTH(sizeof(*cn) + sizeof(op));
	req.nl.nlmsg_type = NLMSG_DONE;
	req.nl.nlmsg_pid = getpid();
	cn->id.idx = CN_IDX_PROC;
	cn->id.val = CN_VAL_PROC;
	cn->len = sizeof(op);
	memcpy(cn->data, &op, sizeof(op));
	if (send(sock, &req, req.nl.nlmsg_len, 0) < 0)
		goto fail;
	return sock;
fail:
	err = errno;
	close(sock);
	errno = err;
	return -1;
}

int rfd_proc_events_next(int sock, int timeout_ms)
{
	union {
		struct nlmsghdr nl;
		char bytes[1024];
	} buf;
	struct pollfd p = { .fd = sock, .events = POLLIN };
	struct proc_event *ev;
	struct cn_msg *cn;
	ssize_t n;
	int rc;

	rc = poll(&p, 1, timeout_ms);
	if (rc <= 0)
		return rc < 0 ? -1 : 0;
	n = recv(sock, &buf, sizeof(buf), 0);
	if (n < 0)
		return -1;
	if ((size_t)n < NLMSG_LENGTH(sizeof(*cn) + sizeof(*ev)))
		return 0;
	cn = (struct cn_msg *)NLMSG_DATA(&buf.nl);
	ev = (struct proc_event *)cn->data;
	if (ev->what == PROC_EVENT_EXEC)
		return ev->event_data.exec.process_tgid;
	if (ev->what == PROC_EVENT_COMM)
		return ev->event_data.comm.process_tgid;
	return 0;
}
