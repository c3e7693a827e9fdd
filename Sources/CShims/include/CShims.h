/* SPDX-License-Identifier: Apache-2.0 */
/*
 * C glue for the Swift side: what Swift cannot call or import directly.
 *
 * This header holds one-line getters for constants Swift cannot import
 * (_IO*()-built ioctl numbers, expression macros) and the prototypes of the
 * wrappers; the wrappers themselves live in .c files grouped by concern:
 *   fd.c           pidfd, fcntl, fstatfs, ioctl, close_range, spawn closefrom,
 *                  errno names
 *   sockets.c      SCM_RIGHTS, SO_PEERCRED, Unix addresses, accept4, timeouts
 *   signals.c      termination signals as an fd (signalfd)
 *   tty.c          a terminal out of canonical mode for a query, restored
 *   ptrace.c       ptrace(2) and waitpid status decoding
 *   proc_events.c  the netlink process-events connector
 *   v4l2.c         the format a V4L2 video device captures in (read-only)
 * Every wrapper returns what the syscall returns (-1 on failure) and leaves
 * errno set. The .c files define _GNU_SOURCE; this header does not, so that
 * Swift's view of glibc's types stays that of its Glibc module.
 */
#ifndef REMOTEFD_CSHIMS_H
#define REMOTEFD_CSHIMS_H

#include <spawn.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/dma-buf.h>
#include <linux/magic.h>

#include "remotefd.h"

/*
 * PROCMAP_QUERY (Linux 6.11+, ioctl on an open /proc/PID/maps): one VMA per
 * call, filtered in the kernel, without formatting every line. Declared
 * here as the kernel's uapi (linux/fs.h) has it: older headers lack it.
 */
struct rfd_procmap_query {
	__u64 size;
	__u64 query_flags;
	__u64 query_addr;
	__u64 vma_start;
	__u64 vma_end;
	__u64 vma_flags;
	__u64 vma_page_size;
	__u64 vma_offset;
	__u64 inode;
	__u32 dev_major;
	__u32 dev_minor;
	__u32 vma_name_size;
	__u32 build_id_size;
	__u64 vma_name_addr;
	__u64 build_id_addr;
};
#define RFD_PROCMAP_QUERY_VMA_READABLE		0x01
#define RFD_PROCMAP_QUERY_VMA_WRITABLE		0x02
#define RFD_PROCMAP_QUERY_VMA_EXECUTABLE	0x04
#define RFD_PROCMAP_QUERY_VMA_SHARED		0x08
#define RFD_PROCMAP_QUERY_COVERING_OR_NEXT_VMA	0x10
#define RFD_PROCMAP_QUERY_FILE_BACKED_VMA	0x20
static inline unsigned long rfd_procmap_query_cmd(void) { return _IOWR('f', 17, struct rfd_procmap_query); }

/* ---- fd.c ---- */

/* "EPERM" for EPERM; NULL for an unknown value (glibc >= 2.32). */
const char *rfd_errno_name(int err);

int rfd_pidfd_open(pid_t pid, unsigned int flags);
int rfd_pidfd_getfd(int pidfd, int targetfd, unsigned int flags);

/* fcntl(2) is variadic. */
int rfd_get_seals(int fd);
int rfd_add_seals(int fd, int seals);
int rfd_get_fl(int fd);
int rfd_set_fd_flags(int fd, int flags);
/* fcntl(fd, F_DUPFD_CLOEXEC, minimum) */
int rfd_dup_cloexec_above(int fd, int minimum);
/* close_range(first, ~0U, CLOSE_RANGE_CLOEXEC): every fd >= first close-on-exec. */
int rfd_cloexec_from(unsigned int first);

/*
 * posix_spawn_file_actions_addclosefrom_np (glibc 2.34, _GNU_SOURCE only):
 * the child closes every fd >= from, whatever other threads opened.
 */
int rfd_spawn_closefrom(posix_spawn_file_actions_t *actions, int from);

/* openat(dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC): a handle on a link itself. */
int rfd_open_link_handle(int dir, const char *name);

/* fstatfs(2), returning only what identification needs. */
int rfd_fstatfs(int fd, unsigned long *type, long *block_size);

/* ioctl(2) is variadic: the pointer-argument form. */
int rfd_ioctl_ptr(int fd, unsigned long request, void *arg);

/* ---- seals (fixed kernel ABI, include/uapi/linux/fcntl.h) ---- */
static inline int rfd_seal_seal(void) { return 0x0001; }
static inline int rfd_seal_shrink(void) { return 0x0002; }
static inline int rfd_seal_grow(void) { return 0x0004; }
static inline int rfd_seal_write(void) { return 0x0008; }
static inline int rfd_seal_future_write(void) { return 0x0010; }
static inline int rfd_seal_exec(void) { return 0x0020; }

/* ---- filesystem magics (linux/magic.h) ---- */
static inline unsigned long rfd_tmpfs_magic(void) { return TMPFS_MAGIC; }
static inline unsigned long rfd_hugetlbfs_magic(void) { return HUGETLBFS_MAGIC; }
#ifndef DMA_BUF_MAGIC
#define DMA_BUF_MAGIC 0x444d4142
#endif
static inline unsigned long rfd_dma_buf_magic(void) { return DMA_BUF_MAGIC; }
#ifndef ANON_INODE_FS_MAGIC
#define ANON_INODE_FS_MAGIC 0x09041934
#endif
static inline unsigned long rfd_anon_inode_fs_magic(void) { return ANON_INODE_FS_MAGIC; }

/* ---- dma-buf uapi ---- */
static inline unsigned long rfd_dma_buf_ioctl_sync(void) { return DMA_BUF_IOCTL_SYNC; }
#ifdef DMA_BUF_IOCTL_EXPORT_SYNC_FILE
static inline unsigned long rfd_dma_buf_export_sync_file(void) { return DMA_BUF_IOCTL_EXPORT_SYNC_FILE; }
#else
static inline unsigned long rfd_dma_buf_export_sync_file(void) { return 0; }
#endif

/* ---- remotefd module uapi (kmod/include/uapi/linux/remotefd.h) ---- */
static inline unsigned long rfd_ioc_info(void) { return REMOTEFD_IOC_INFO; }
static inline unsigned long rfd_ioc_getfd(void) { return REMOTEFD_IOC_GETFD; }
static inline unsigned long rfd_ioc_watch(void) { return REMOTEFD_IOC_WATCH; }
static inline unsigned long rfd_ioc_unwatch(void) { return REMOTEFD_IOC_UNWATCH; }
static inline unsigned long rfd_ioc_collect(void) { return REMOTEFD_IOC_COLLECT; }
static inline unsigned long rfd_ioc_attach(void) { return REMOTEFD_IOC_ATTACH; }
static inline unsigned long rfd_ioc_getmap(void) { return REMOTEFD_IOC_GETMAP; }
static inline unsigned long rfd_ioc_handle_getfd(void) { return REMOTEFD_HANDLE_IOC_GETFD; }
static inline unsigned long rfd_ioc_handle_getfds(void) { return REMOTEFD_HANDLE_IOC_GETFDS; }
static inline unsigned long rfd_ioc_handle_inventory(void) { return REMOTEFD_HANDLE_IOC_INVENTORY; }
static inline unsigned long rfd_ioc_handle_getmap(void) { return REMOTEFD_HANDLE_IOC_GETMAP; }

/* ---- sockets.c ---- */

/* At most this many fds travel in one message. */
#define RFD_MAX_PASSED_FDS 64

/*
 * sendmsg(2) of `len` bytes with `nfds` fds attached (none if nfds == 0).
 * MSG_NOSIGNAL: a peer that went away is EPIPE, not SIGPIPE.
 */
ssize_t rfd_send_fds(int sock, const void *buf, size_t len, const int *fds, int nfds);
/* The same as one datagram to the Unix address `path` ('@' = abstract). */
ssize_t rfd_send_fds_to(int sock, const char *path, const void *buf, size_t len, const int *fds, int nfds);
/*
 * recvmsg(2) into `buf`; fds that came with the bytes are stored in `fds`
 * (close-on-exec), their number in *nfds. Fds beyond `maxfds` are closed and
 * *truncated set. Returns the byte count (0 at EOF).
 */
ssize_t rfd_recv_fds(int sock, void *buf, size_t len, int *fds, int maxfds, int *nfds, int *truncated);
/* SO_PEERCRED: the peer's pid, uid and gid at connect(2) time. */
int rfd_peer_cred(int sock, pid_t *pid, uid_t *uid, gid_t *gid);
/* connect(2) / bind(2) to a Unix path; a leading '@' names the abstract namespace. */
int rfd_unix_connect(int sock, const char *path);
int rfd_unix_bind(int sock, const char *path);
/* accept4(sock, NULL, NULL, SOCK_CLOEXEC) */
int rfd_accept_cloexec(int sock);
/* SO_SNDTIMEO / SO_RCVTIMEO in milliseconds (0: leave unset). */
int rfd_socket_timeouts(int sock, int send_ms, int recv_ms);

/* ---- signals.c ---- */

/* Blocks SIGINT, SIGTERM and SIGHUP and returns a signalfd for them. */
int rfd_termination_signalfd(void);
/* Reads one signal from a signalfd: its number, or -1. */
int rfd_read_signalfd(int fd);
/* Unblocks what rfd_termination_signalfd blocked (before exec). */
int rfd_unblock_termination_signals(void);

/* ---- tty.c ---- */

/*
 * Terminal `fd` without ICANON, ECHO, IEXTEN, ICRNL and IXON (ISIG kept),
 * VMIN 0, VTIME 0; its settings saved, and restored by rfd_tty_restore or
 * by a handler of SIGINT, SIGTERM, SIGHUP and SIGQUIT (those not ignored)
 * that then re-raises the signal to its previous disposition. One terminal at a time (EBUSY).
 */
int rfd_tty_raw(int fd);
/* Restores what rfd_tty_raw changed (nothing if it did not): 0 or -1. */
int rfd_tty_restore(void);

/* ---- ptrace.c ---- */

long rfd_ptrace(int request, pid_t pid, unsigned long addr, unsigned long data);
int rfd_ptrace_seize(void);
int rfd_ptrace_cont(void);
int rfd_ptrace_detach(void);
int rfd_ptrace_listen(void);
int rfd_ptrace_geteventmsg(void);
unsigned long rfd_ptrace_o_traceexit(void);
int rfd_ptrace_event_exit(void);
int rfd_ptrace_event_stop(void);
/* waitpid(pid, &status, __WALL); EINTR is the caller's to retry. */
pid_t rfd_waitpid_all(pid_t pid, int *status);
/* W* status macros. */
int rfd_wifexited(int status);
int rfd_wexitstatus(int status);
int rfd_wifsignaled(int status);
int rfd_wtermsig(int status);
int rfd_wifstopped(int status);
int rfd_wstopsig(int status);
/* The PTRACE_EVENT_* of a ptrace-event stop (status >> 16), 0 for others. */
int rfd_wptrace_event(int status);

/* ---- proc_events.c ---- */

/*
 * A socket subscribed to the netlink process-events connector (CN_IDX_PROC),
 * or -1 with errno. Binding needs CAP_NET_ADMIN on 6.1 (6.12 lets anyone).
 */
int rfd_proc_events_open(void);
/*
 * Waits up to timeout_ms for an exec or comm-change event; returns the
 * process (tgid) it names, 0 on timeout or another event, or -1 with errno
 * (ENOBUFS: events were dropped).
 */
int rfd_proc_events_next(int sock, int timeout_ms);

/* ---- v4l2.c ---- */

/* A V4L2 capture format, flattened from struct v4l2_format (single- or multi-planar). */
struct rfd_v4l2_capture_format {
	__u32 width;
	__u32 height;
	__u32 bytesperline;	/* of the first plane */
	__u32 pixelformat;	/* V4L2 fourcc */
	__u32 sizeimage;	/* of the first plane */
	__u32 planes;		/* 1, or num_planes of a multi-planar format */
	__u32 multiplanar;	/* 1 for V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE */
	char card[32];		/* v4l2_capability.card */
	char driver[16];	/* v4l2_capability.driver */
};
/*
 * VIDIOC_QUERYCAP, then VIDIOC_G_FMT for the capture type the device has
 * (single-planar first): both read-only. -1 with errno (ENOTTY: not a
 * V4L2 device; ENODEV: it cannot capture).
 */
int rfd_v4l2_capture_format(int fd, struct rfd_v4l2_capture_format *out);
/* Character major of V4L2 device nodes (/dev/videoN, /dev/v4l-subdevN, ...). */
static inline unsigned int rfd_v4l2_major(void) { return 81; }

#endif /* REMOTEFD_CSHIMS_H */
