/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel-version differences between v6.1 and current, in one place.
 * (Out-of-tree code has to test LINUX_VERSION_CODE.)
 */
#ifndef _REMOTEFD_COMPAT_H
#define _REMOTEFD_COMPAT_H

#include <linux/version.h>
#include <linux/fdtable.h>
#include <linux/mm_types.h>
#include <linux/sched.h>
#include <linux/sched/coredump.h>

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

/* receive_fd() (runs security_file_receive) is exported. */
#define REMOTEFD_HAVE_RECEIVE_FD	1

/* v6.16: sched_process_exit gained "bool group_dead" (and moved before exit_mm). */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 16, 0)
#define REMOTEFD_EXIT_TP_GROUP_DEAD	1
#else
#define REMOTEFD_EXIT_TP_GROUP_DEAD	0
#endif

/* fd @fd of @files, no reference taken; caller holds files->file_lock. */
static inline struct file *remotefd_files_lookup_locked(struct files_struct *files,
							unsigned int fd)
{
	return files_lookup_fd_locked(files, fd);
}

/* Is the process SUID_DUMP_USER-dumpable?  @mm: its mm (p->mm may be gone). */
static inline bool remotefd_dumpable(struct task_struct *p, struct mm_struct *mm)
{
	return get_dumpable(mm) == SUID_DUMP_USER;
}

/* The user namespace ptrace_may_access() checks CAP_SYS_PTRACE in. */
static inline struct user_namespace *remotefd_mm_user_ns(struct mm_struct *mm)
{
	return mm->user_ns;
}

/* v6.16: rdmsrl_safe() was renamed rdmsrq_safe(). */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 16, 0)
#define remotefd_rdmsr_safe(msr, p)	rdmsrq_safe(msr, p)
#else
#define remotefd_rdmsr_safe(msr, p)	rdmsrl_safe(msr, p)
#endif

#endif /* _REMOTEFD_COMPAT_H */
