/*
 * C glue for the Swift side: what Swift cannot call or import directly.
 * - syscall(2), ioctl(2) and fcntl(2) are variadic: thin inline wrappers.
 * - _IO*()-built ioctl numbers and some F_* constants are macros Swift cannot
 *   import: exposed as inline functions.
 * Every wrapper returns what the syscall returns and leaves errno set.
 */
#ifndef REMOTEFD_CSHIMS_H
#define REMOTEFD_CSHIMS_H

#include <errno.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/types.h>
#include <unistd.h>
#include <linux/dma-buf.h>
#include <linux/magic.h>
#include <linux/memfd.h>

#include "remotefd.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

/*
 * "EPERM" for EPERM; NULL for an unknown value (glibc >= 2.32). Declared
 * here rather than through _GNU_SOURCE, which would make this module's view
 * of glibc's types differ from Swift's Glibc module.
 */
extern const char *strerrorname_np(int errnum);
static inline const char *rfd_errno_name(int err) { return strerrorname_np(err); }

/* ---- pidfd ---- */
static inline int rfd_pidfd_open(pid_t pid, unsigned int flags)
{
	return (int)syscall(SYS_pidfd_open, pid, flags);
}

static inline int rfd_pidfd_getfd(int pidfd, int targetfd, unsigned int flags)
{
	return (int)syscall(SYS_pidfd_getfd, pidfd, targetfd, flags);
}

static inline int rfd_pidfd_send_signal(int pidfd, int sig)
{
	return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

/* ---- seals (fcntl is variadic; F_GET_SEALS is an expression macro) ---- */
/*
 * glibc defines these only with _GNU_SOURCE, and <linux/fcntl.h> clashes with
 * <fcntl.h>: the values are fixed kernel ABI (include/uapi/linux/fcntl.h).
 */
#ifndef F_ADD_SEALS
#define F_ADD_SEALS		1033
#define F_GET_SEALS		1034
#define F_SEAL_SEAL		0x0001
#define F_SEAL_SHRINK		0x0002
#define F_SEAL_GROW		0x0004
#define F_SEAL_WRITE		0x0008
#endif
#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE	0x0010
#endif
static inline int rfd_get_seals(int fd) { return fcntl(fd, F_GET_SEALS); }
static inline int rfd_add_seals(int fd, int seals) { return fcntl(fd, F_ADD_SEALS, seals); }
static inline int rfd_get_fl(int fd) { return fcntl(fd, F_GETFL); }
static inline int rfd_get_fd_flags(int fd) { return fcntl(fd, F_GETFD); }
static inline int rfd_set_fd_flags(int fd, int flags) { return fcntl(fd, F_SETFD, flags); }

static inline int rfd_seal_seal(void) { return F_SEAL_SEAL; }
static inline int rfd_seal_shrink(void) { return F_SEAL_SHRINK; }
static inline int rfd_seal_grow(void) { return F_SEAL_GROW; }
static inline int rfd_seal_write(void) { return F_SEAL_WRITE; }
static inline int rfd_seal_future_write(void) { return F_SEAL_FUTURE_WRITE; }
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif
static inline int rfd_seal_exec(void) { return F_SEAL_EXEC; }

/* ---- filesystem magics ---- */
/* fstatfs(2), returning only what identification needs. */
static inline int rfd_fstatfs(int fd, unsigned long *type, long *block_size)
{
	struct statfs sfs;
	int rc = fstatfs(fd, &sfs);

	if (rc == 0) {
		*type = (unsigned long)sfs.f_type;
		*block_size = (long)sfs.f_bsize;
	}
	return rc;
}

static inline unsigned long rfd_tmpfs_magic(void) { return TMPFS_MAGIC; }
static inline unsigned long rfd_hugetlbfs_magic(void) { return HUGETLBFS_MAGIC; }
#ifndef DMA_BUF_MAGIC
#define DMA_BUF_MAGIC 0x444d4142
#endif
static inline unsigned long rfd_dma_buf_magic(void) { return DMA_BUF_MAGIC; }

/* ---- generic ioctl with a pointer argument ---- */
static inline int rfd_ioctl_ptr(int fd, unsigned long request, void *arg)
{
	return ioctl(fd, request, arg);
}

/* ---- dma-buf uapi ---- */
static inline unsigned long rfd_dma_buf_ioctl_sync(void) { return DMA_BUF_IOCTL_SYNC; }
static inline unsigned long rfd_dma_buf_set_name(void) { return DMA_BUF_SET_NAME_B; }
#ifdef DMA_BUF_IOCTL_EXPORT_SYNC_FILE
static inline unsigned long rfd_dma_buf_export_sync_file(void) { return DMA_BUF_IOCTL_EXPORT_SYNC_FILE; }
#else
static inline unsigned long rfd_dma_buf_export_sync_file(void) { return 0; }
#endif

/* ---- remotefd module uapi (kmod/include/uapi/linux/remotefd.h) ---- */
static inline unsigned long rfd_ioc_info(void) { return REMOTEFD_IOC_INFO; }
static inline unsigned long rfd_ioc_getfd(void) { return REMOTEFD_IOC_GETFD; }
static inline unsigned long rfd_legacy_ioc(void) { return REMOTEFD_LEGACY_IOC; }
static inline unsigned long rfd_ioc_watch(void) { return REMOTEFD_IOC_WATCH; }
static inline unsigned long rfd_ioc_unwatch(void) { return REMOTEFD_IOC_UNWATCH; }
static inline unsigned long rfd_ioc_collect(void) { return REMOTEFD_IOC_COLLECT; }

#include "CShimsKeep.h"
#include "CShimsProcEvents.h"

#endif /* REMOTEFD_CSHIMS_H */
