/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
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
/* REMOTEFD_IOC_ATTACH and the target-handle ioctls (GETFD, GETFDS, INVENTORY) */
#define REMOTEFD_FEAT_HANDLE		(1U << 5)
/* REMOTEFD_IOC_GETMAP, and REMOTEFD_HANDLE_IOC_GETMAP with FEAT_HANDLE */
#define REMOTEFD_FEAT_GETMAP		(1U << 6)

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
/*
 * Also the files behind the process's shared file mappings at exit
 * (REMOTEFD_EVENT_MAP, up to REMOTEFD_WATCH_MAX_FDS of them).  The watch
 * then holds a user reference on the address space it was armed on, so
 * that the mappings outlive exit_mm(); if the process execs, that old
 * address space is kept until the watch ends (DENIED at exit, UNWATCH or
 * close).  Combines with ALL_FDS or an fd list; with neither, nfds = 0.
 */
#define REMOTEFD_WATCH_MAPS	(1U << 2)

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
#define REMOTEFD_EVENT_EXIT	4	/* final: count FILE/MAP events queued; lost: fds or maps beyond REMOTEFD_WATCH_MAX_FDS */
#define REMOTEFD_EVENT_DENIED	5	/* final: exec, credential or dumpability change since arming: nothing captured */
#define REMOTEFD_EVENT_MAP	6	/* newfd: the file of a shared mapping [map_start, map_end); fd -1 */

struct remotefd_capture {
	__s32 pid;		/* out: the watched process (its pid when armed) */
	__s32 fd;		/* out: fd number in that process, -1 for final events */
	__s32 newfd;		/* out: the caller's new fd (FILE), else -1 */
	__u32 fd_flags;		/* in: 0 or O_CLOEXEC for newfd */
	__u32 event;		/* out: REMOTEFD_EVENT_* */
	__u32 count;		/* out: EXIT: FILE events queued for this exit */
	__u32 lost;		/* out: EXIT: ALL_FDS fds or maps not captured (limit) */
	__u32 reserved0;	/* in: must be zero */
	__u64 map_start;	/* in: zero; out: MAP: the mapping's range */
	__u64 map_end;		/* in: zero */
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
 * Target handles: check once, then adopt many.
 *
 * REMOTEFD_IOC_ATTACH on /dev/remotefd names a target (pid or pidfd), runs
 * the REMOTEFD_IOC_GETFD permission check once and returns a new fd, a
 * handle on that process ("anon_inode:[remotefd-target]"; its fdinfo shows
 * target_pid).  The ioctls below, on the handle, adopt and describe the
 * target's files without repeating the path walk of the check.  Every use
 * re-validates under the lookup's locks: the target has not exec'd since
 * the check (its mm is the checked one; else ESTALE: attach again), its
 * credentials and dumpability are unchanged, the caller's credentials are
 * the ones the check was made for, and the check is less than a second old.
 * Anything else (a handle passed to another process, a caller or target
 * that changed ids, a target that became non-dumpable, an older check)
 * runs the full check again: a handle never grants more than a fresh
 * REMOTEFD_IOC_GETFD would (up to one second for changes no pointer shows:
 * Yama's ptrace_scope, PR_SET_PTRACER, reparenting, LSM policy).
 */
struct remotefd_attach {
	__s32 target;		/* pid in the caller's pid namespace, or a pidfd */
	__u32 flags;		/* REMOTEFD_TARGET_PIDFD */
	__u32 fd_flags;		/* 0 or O_CLOEXEC for the handle */
	__u32 reserved0;	/* must be zero */
	__u64 reserved[2];	/* must be zero */
};

/* Handle: adopt one fd.  Returns the new fd (>= 0) or -1 with errno. */
struct remotefd_handle_getfd {
	__s32 fd;		/* fd number in the target */
	__u32 fd_flags;		/* 0 or O_CLOEXEC for the new fd */
	__u64 reserved;		/* must be zero */
};

/* Handle: adopt up to REMOTEFD_BATCH_MAX fds, a result per entry. */
struct remotefd_batch_entry {
	__s32 fd;		/* in: fd number in the target */
	__s32 result;		/* out: the new fd, or -errno for this entry */
};

#define REMOTEFD_BATCH_MAX	1024	/* count limit (E2BIG above) */

struct remotefd_batch {
	__u32 count;		/* entries at .entries (1..REMOTEFD_BATCH_MAX) */
	__u32 fd_flags;		/* 0 or O_CLOEXEC for every new fd */
	__u64 entries;		/* user pointer to struct remotefd_batch_entry[count] */
	__u64 reserved[2];	/* must be zero */
};

/* Handle: describe the target's open fds, installing nothing. */
#define REMOTEFD_NAME_LEN	256	/* remotefd_fd_record.name, NUL included */
#define REMOTEFD_DMABUF_NAME_LEN 32	/* exporter and DMA_BUF_SET_NAME names */

/* struct remotefd_fd_record.info */
#define REMOTEFD_INFO_CLOEXEC		(1U << 0)	/* FD_CLOEXEC set in the target */
#define REMOTEFD_INFO_SEALS		(1U << 1)	/* .seals valid (shmem, hugetlbfs) */
#define REMOTEFD_INFO_DMABUF		(1U << 2)	/* exp_name, buf_name valid */
#define REMOTEFD_INFO_NAME_TRUNCATED	(1U << 3)	/* .name cut to REMOTEFD_NAME_LEN - 1 */

struct remotefd_fd_record {
	__s32 fd;		/* fd number in the target */
	__u32 info;		/* REMOTEFD_INFO_* */
	__u32 f_flags;		/* the open file's flags: O_ACCMODE, O_APPEND, ... */
	__u32 mode;		/* inode mode: type and permissions */
	__u64 dev;		/* st_dev (huge encoding, as stat(2)) */
	__u64 rdev;		/* st_rdev */
	__u64 ino;		/* st_ino */
	__s64 size;		/* st_size; a dma-buf's size */
	__u64 fs_magic;		/* statfs f_type */
	__u32 seals;		/* F_SEAL_* (REMOTEFD_INFO_SEALS) */
	__u32 uid;		/* st_uid, in the caller's user namespace */
	__u32 gid;		/* st_gid */
	__u32 fs_bsize;		/* statfs f_bsize: the page size on hugetlbfs */
	__u32 nlink;		/* st_nlink: 0 for an unlinked /dev/shm file */
	__u32 reserved0;	/* zero */
	__u64 file_count;	/* references to the open file description (fdinfo "count") */
	char name[REMOTEFD_NAME_LEN];	/* readlink(/proc/PID/fd/N), NUL-terminated */
	char exp_name[REMOTEFD_DMABUF_NAME_LEN];	/* dma-buf exporter */
	char buf_name[REMOTEFD_DMABUF_NAME_LEN];	/* DMA_BUF_SET_NAME, "" if none */
};

#define REMOTEFD_INVENTORY_MAX	4096	/* count limit (E2BIG above) */

struct remotefd_inventory {
	__s32 start_fd;		/* in: first fd number to describe (>= 0) */
	__u32 count;		/* in: records room at .records (1..REMOTEFD_INVENTORY_MAX) */
	__u64 records;		/* user pointer to struct remotefd_fd_record[count] */
	__u32 returned;		/* out: records filled */
	__s32 next_fd;		/* out: start_fd for the next call, -1 when done */
	__u64 reserved[2];	/* must be zero */
};

/* /dev/remotefd: returns the handle fd, or -1 with errno. */
#define REMOTEFD_IOC_ATTACH	_IOW(REMOTEFD_IOC_MAGIC, 0x05, struct remotefd_attach)
/* On a handle. */
#define REMOTEFD_HANDLE_IOC_GETFD	_IOW(REMOTEFD_IOC_MAGIC, 0x10, struct remotefd_handle_getfd)
/*
 * 0 (per-entry results in .entries), or -1 with errno for the whole call.
 * EFAULT when a result cannot be stored: the entries before it were done
 * (their fds installed, their results stored), the rest were not.
 */
#define REMOTEFD_HANDLE_IOC_GETFDS	_IOW(REMOTEFD_IOC_MAGIC, 0x11, struct remotefd_batch)
/* 0 with .returned and .next_fd written, or -1 with errno. */
#define REMOTEFD_HANDLE_IOC_INVENTORY	_IOWR(REMOTEFD_IOC_MAGIC, 0x12, struct remotefd_inventory)

/*
 * The file behind a mapping: a buffer the owner mapped and then closed has
 * no fd, but its mapping still references the file (memfd, shm, dma-buf).
 * REMOTEFD_IOC_GETMAP (target by pid or pidfd, the REMOTEFD_IOC_GETFD
 * permission check) and REMOTEFD_HANDLE_IOC_GETMAP (on a target handle)
 * find the mapping containing .addr in the target's address space and
 * return a new fd for its file.  .kind and the out fields describe the
 * mapping also when it is refused: ENXIO nothing mapped there (kernel
 * addresses included), ENODEV a mapping without a file (anonymous memory,
 * the stack, [vvar], [vdso], a driver's PFN map).
 */
#define REMOTEFD_MAP_FILE	1	/* a file mapping: the fd is returned */
#define REMOTEFD_MAP_ANON	2	/* anonymous memory, heap, stack: ENODEV */
#define REMOTEFD_MAP_SPECIAL	3	/* no file: [vvar], [vdso], PFN maps: ENODEV */
#define REMOTEFD_MAP_NONE	4	/* nothing mapped at .addr: ENXIO */

/* struct remotefd_getmap.map_flags */
#define REMOTEFD_MAP_SHARED	(1U << 0)	/* MAP_SHARED (else private) */
/*
 * The file may never have been an fd of the target: the exec'd binary or
 * its interpreter, a SysV segment, shared anonymous memory or another
 * kernel-internal file, an overlayfs or FUSE backing file, any file but a
 * dma-buf, a memfd or a file of a mounted tmpfs or hugetlbfs (/dev/shm).
 * Like /proc/PID/map_files, GETMAP returns such a file only to a caller
 * with CAP_CHECKPOINT_RESTORE or CAP_SYS_ADMIN in the initial user
 * namespace, and fails with EPERM (this flag set) otherwise: pidfd_getfd(2)
 * could not have given it, and an exec-only binary could not be read.
 */
#define REMOTEFD_MAP_NEEDS_CAP	(1U << 1)

struct remotefd_getmap {
	__s32 target;		/* in: pid or pidfd (REMOTEFD_IOC_GETMAP); 0 on a handle */
	__u32 flags;		/* in: REMOTEFD_TARGET_PIDFD (REMOTEFD_IOC_GETMAP); 0 on a handle */
	__u64 addr;		/* in: any address inside the mapping */
	__u32 fd_flags;		/* in: 0 or O_CLOEXEC for the new fd */
	__u32 kind;		/* out: REMOTEFD_MAP_* */
	__u64 start;		/* out: the mapping is [start, end) */
	__u64 end;
	__u64 pgoff;		/* out: file offset of start, in bytes */
	__u32 prot;		/* out: PROT_READ | PROT_WRITE | PROT_EXEC */
	__u32 map_flags;	/* out: REMOTEFD_MAP_SHARED */
	__u64 reserved[2];	/* in: must be zero */
};

/* /dev/remotefd: returns the new fd, or -1 with errno. */
#define REMOTEFD_IOC_GETMAP	_IOWR(REMOTEFD_IOC_MAGIC, 0x06, struct remotefd_getmap)
/* On a handle: returns the new fd, or -1 with errno. */
#define REMOTEFD_HANDLE_IOC_GETMAP	_IOWR(REMOTEFD_IOC_MAGIC, 0x13, struct remotefd_getmap)

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
