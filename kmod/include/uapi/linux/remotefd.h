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
#define REMOTEFD_FEAT_WATCH		(1U << 3)	/* REMOTEFD_IOC_WATCH/UNWATCH/COLLECT, poll */
/*
 * New fds are installed without security_file_receive() (v5.10 exports no
 * receive_fd()): an LSM that vets received files is not consulted.
 */
#define REMOTEFD_FEAT_NO_RECEIVE_HOOK	(1U << 4)

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
 * Capture on exit.  REMOTEFD_IOC_WATCH arms capture of some (or all) fds of
 * a process, with the permission check of REMOTEFD_IOC_GETFD done at arm
 * time.  When the process exits (its last thread, normally or killed), the
 * module takes references to those files before the kernel closes them and
 * queues them, as events, on the /dev/remotefd open file the watch was armed
 * on.  The watcher collects them one by one with REMOTEFD_IOC_COLLECT;
 * poll() reports EPOLLIN while events are queued.  Watches and queued files
 * belong to that open file: closing it disarms and drops everything.
 *
 * Every watch ends with exactly one final event for its pid:
 * REMOTEFD_EVENT_EXIT (after the FILE/NOT_OPEN/SKIPPED events of that exit)
 * or REMOTEFD_EVENT_DENIED (nothing captured: the process exec'd, changed
 * credentials or became non-dumpable after arming).
 *
 * Every event of a watch is allocated when it is armed (charged to the
 * caller), so an exit never allocates and never loses an armed fd's event.
 * A watch counts against the limits below until its final event has been
 * collected: 256 per open file, 16 per watched process, and the module
 * parameter max_watches_per_user per real uid (ENOSPC beyond any of them).
 *
 * Only files that cannot hold references to other open files are captured:
 * regular files (memfd, shm, ...), directories, O_PATH symlinks, FIFOs and
 * pipes, dma-bufs.  Any other kind (sockets, io_uring, /dev/remotefd, other
 * devices and anonymous inodes) is reported as REMOTEFD_EVENT_SKIPPED:
 * capturing it could close a reference cycle through the watcher's own file.
 */

/* struct remotefd_watch.flags (REMOTEFD_TARGET_PIDFD is accepted too) */
#define REMOTEFD_WATCH_ALL_FDS	(1U << 1)	/* every fd open at exit; nfds = 0, fds = 0 */

/* nfds limit (E2BIG above); with ALL_FDS, the events one exit can queue. */
#define REMOTEFD_WATCH_MAX_FDS	1024

struct remotefd_watch {
	__s32 target;		/* pid (any thread of the process) or pidfd */
	__u32 flags;		/* REMOTEFD_TARGET_PIDFD, REMOTEFD_WATCH_ALL_FDS */
	__u32 nfds;		/* entries in fds (1..REMOTEFD_WATCH_MAX_FDS) */
	__u32 reserved0;	/* must be zero */
	__u64 fds;		/* user pointer to __s32[nfds], fd numbers >= 0 */
	__u64 reserved[2];	/* must be zero */
};

/* struct remotefd_capture.event */
#define REMOTEFD_EVENT_FILE	1	/* newfd: the file fd had in the process */
#define REMOTEFD_EVENT_NOT_OPEN	2	/* armed fd was not open at exit */
#define REMOTEFD_EVENT_SKIPPED	3	/* a kind that is never captured (see above) */
#define REMOTEFD_EVENT_EXIT	4	/* final: count FILE events queued; lost: ALL_FDS fds beyond REMOTEFD_WATCH_MAX_FDS */
#define REMOTEFD_EVENT_DENIED	5	/* final: exec, credential or dumpability change since arming: nothing captured */

struct remotefd_capture {
	__s32 pid;		/* out: the watched process (its pid when armed) */
	__s32 fd;		/* out: fd number in that process, -1 for final events */
	__s32 newfd;		/* out: the caller's new fd (FILE), else -1 */
	__u32 fd_flags;		/* in: 0 or O_CLOEXEC for newfd */
	__u32 event;		/* out: REMOTEFD_EVENT_* */
	__u32 count;		/* out: EXIT: FILE events queued for this exit */
	__u32 lost;		/* out: EXIT: ALL_FDS fds not captured (limit) */
	__u32 reserved0;	/* in: must be zero */
	__u64 reserved[2];	/* in: must be zero */
};

/* Arms a watch; 0 or -1 with errno. */
#define REMOTEFD_IOC_WATCH	_IOW(REMOTEFD_IOC_MAGIC, 0x02, struct remotefd_watch)
/* Disarms the watch of target (pid or pidfd; nfds, fds, reserved zero). */
#define REMOTEFD_IOC_UNWATCH	_IOW(REMOTEFD_IOC_MAGIC, 0x03, struct remotefd_watch)
/*
 * Dequeues one event (installing its file); 0, or -1 with EAGAIN if none.
 * EFAULT, EMFILE, ENFILE, ENOMEM: no fd installed, the event stays queued.
 */
#define REMOTEFD_IOC_COLLECT	_IOWR(REMOTEFD_IOC_MAGIC, 0x04, struct remotefd_capture)

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
