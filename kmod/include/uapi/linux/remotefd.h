/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * remotefd: take a reference to a file another process holds, by pid (or
 * pidfd) and fd number, with the same permission check as pidfd_getfd(2).
 *
 * This is the single definition of the ABI: the module and userspace
 * (Sources/CShims) both include this file.
 */
#ifndef _UAPI_LINUX_REMOTEFD_H
#define _UAPI_LINUX_REMOTEFD_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define REMOTEFD_DEVICE_NAME	"remotefd"	/* /dev/remotefd */
#define REMOTEFD_ABI_VERSION	1

/* struct remotefd_getfd.flags */
#define REMOTEFD_TARGET_PIDFD	(1U << 0)	/* .target is a pidfd, not a pid */

/* struct remotefd_info.features */
#define REMOTEFD_FEAT_PIDFD		(1U << 0)	/* REMOTEFD_TARGET_PIDFD understood */
#define REMOTEFD_FEAT_LEGACY_PROC	(1U << 1)	/* /proc/remotefd is registered */
#define REMOTEFD_FEAT_KPROBE_LOOKUP	(1U << 2)	/* lookup through kprobe-resolved fget_task */

struct remotefd_getfd {
	__s32 target;		/* pid in the caller's pid namespace, or a pidfd */
	__s32 fd;		/* fd number in the target's table */
	__u32 flags;		/* REMOTEFD_TARGET_* */
	__u32 fd_flags;		/* 0 or O_CLOEXEC for the new fd; nothing else */
	__u64 reserved[2];	/* must be zero */
};

struct remotefd_info {
	__u32 abi_version;	/* REMOTEFD_ABI_VERSION */
	__u32 features;		/* REMOTEFD_FEAT_* */
	__u64 reserved[3];	/* zero on return */
};

/*
 * 0xB9: unassigned in Documentation/userspace-api/ioctl/ioctl-number.rst
 * (v6.12); 0xB7 belongs to nsfs and remoteproc.
 */
#define REMOTEFD_IOC_MAGIC	0xB9

/* Fills struct remotefd_info. */
#define REMOTEFD_IOC_INFO	_IOR(REMOTEFD_IOC_MAGIC, 0x00, struct remotefd_info)
/* Returns the new fd number (>= 0) or -1 with errno. */
#define REMOTEFD_IOC_GETFD	_IOW(REMOTEFD_IOC_MAGIC, 0x01, struct remotefd_getfd)

/*
 * The original module's ABI, on /proc/remotefd, kept for existing clients.
 * o_fd is the new fd (installed O_CLOEXEC) or -1 when it cannot be had.
 */
struct remotefd_legacy_args {
	int i_pid;
	int i_fd;
	int o_fd;
};

#define REMOTEFD_LEGACY_IOC	_IOWR(0x69, 0x11, struct remotefd_legacy_args)

#endif /* _UAPI_LINUX_REMOTEFD_H */
