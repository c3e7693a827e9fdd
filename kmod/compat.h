/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel-version differences between v6.1 and current, in one place.
 * (Out-of-tree code has to test LINUX_VERSION_CODE.)
 */
#ifndef _REMOTEFD_COMPAT_H
#define _REMOTEFD_COMPAT_H

#include <linux/version.h>

struct dentry;
struct path;
struct vfsmount;

/*
 * Exported since v2.6 but declared only in fs/internal.h before v6.2
 * (include/linux/namei.h since): a compatible redeclaration is harmless.
 */
extern int vfs_path_lookup(struct dentry *dentry, struct vfsmount *mnt,
			   const char *name, unsigned int flags,
			   struct path *path);

/* v6.8: receive_fd(file, o_flags) became receive_fd(file, ufd, o_flags). */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0)
#define REMOTEFD_RECEIVE_FD_UFD	1
#else
#define REMOTEFD_RECEIVE_FD_UFD	0
#endif

/* v6.16: rdmsrl_safe() was renamed rdmsrq_safe(). */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 16, 0)
#define remotefd_rdmsr_safe(msr, p)	rdmsrq_safe(msr, p)
#else
#define remotefd_rdmsr_safe(msr, p)	rdmsrl_safe(msr, p)
#endif

#endif /* _REMOTEFD_COMPAT_H */
