/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Kernel differences between v5.10 and v7.2, in one place.  Checked against
 * the headers and Module.symvers of Debian's 5.10.0 (bullseye), 6.1
 * (bookworm), 6.12 (bookworm, trixie, trixie -rt) and 7.2 (sid) kernels.
 * Where a header macro tells an API apart it is tested rather than
 * LINUX_VERSION_CODE: stable trees backport renames (Debian's 5.10.262
 * has files_lookup_fd_locked(), upstream v5.10 fcheck_files()).
 */
#ifndef _REMOTEFD_COMPAT_H
#define _REMOTEFD_COMPAT_H

#include <linux/version.h>
#include <linux/fdtable.h>
#include <linux/mm.h>
#include <linux/mm_types.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/coredump.h>
#include <linux/sched/signal.h>
#ifndef SUID_DUMP_USER		/* v7.2: dumpability moved to task->exec_state */
#include <linux/sched/exec_state.h>
#endif

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

/*
 * receive_fd() installs a file in current's table after
 * security_file_receive().  v5.9-v5.14: a static inline around
 * __receive_fd(), which is not exported (Debian 5.10 included).  v5.15
 * (9c5d00cb7b6b "file: Export receive_fd() to modules"): exported,
 * receive_fd(file, o_flags).  v6.8: receive_fd(file, int __user *ufd,
 * o_flags), which stores the number at ufd before installing the file.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 15, 0)
#define REMOTEFD_HAVE_RECEIVE_FD	1
#else
#define REMOTEFD_HAVE_RECEIVE_FD	0
#endif

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0)
#define REMOTEFD_RECEIVE_FD_UFD	1
#else
#define REMOTEFD_RECEIVE_FD_UFD	0
#endif

/*
 * v6.16 (3e816361e94a "sched/tracepoints: Move and extend the
 * sched_process_exit() tracepoint"): sched_process_exit(p, group_dead),
 * fired before exit_mm().  Before: sched_process_exit(p), after exit_mm()
 * (p->mm is NULL there).
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 16, 0)
#define REMOTEFD_EXIT_TP_GROUP_DEAD	1
#else
#define REMOTEFD_EXIT_TP_GROUP_DEAD	0
#endif

/*
 * File @fd of @files, or NULL; O(1).  The caller holds files->file_lock;
 * no reference is taken.  v5.11 renamed fcheck_files() (whose fcheck()
 * macro goes with it) to files_lookup_fd_rcu() and added
 * files_lookup_fd_locked(); 5.10 stable has the new names too.
 */
static inline struct file *
remotefd_files_lookup_locked(struct files_struct *files, unsigned int fd)
{
#ifdef fcheck
	return fcheck_files(files, fd);
#else
	return files_lookup_fd_locked(files, fd);
#endif
}

/*
 * Dumpability.  Before v7.2 it is in mm->flags (get_dumpable(mm),
 * SUID_DUMP_*), so the pinned mm of a task still answers after exit_mm().
 * v7.2 moved it, with the exec-time user namespace that was mm->user_ns,
 * to task->exec_state (struct task_exec_state: dumpable, user_ns): shared
 * by refcount between CLONE_VM siblings (the threads of a process),
 * replaced at execve under task_lock and exec_update_lock (write), and put
 * only in free_task(), so it stays readable in do_exit() after exit_mm().
 * Its accessors are not exported: the fields are read directly.
 */
#ifdef SUID_DUMP_USER

/* Is the process SUID_DUMP_USER-dumpable?  @mm: its mm (p->mm may be gone). */
static inline bool remotefd_dumpable(struct task_struct *p, struct mm_struct *mm)
{
	return mm && get_dumpable(mm) == SUID_DUMP_USER;
}

/*
 * The user namespace ptrace_may_access() checks CAP_SYS_PTRACE in, for @p
 * whose mm is @mm.  Stable while @mm is pinned; no reference taken.
 */
static inline struct user_namespace *
remotefd_task_user_ns(struct task_struct *p, struct mm_struct *mm)
{
	return mm->user_ns;
}

/* Before v7.2 only: the namespace lives in the mm. */
static inline struct user_namespace *remotefd_mm_user_ns(struct mm_struct *mm)
{
	return mm->user_ns;
}

#else /* v7.2+: enum task_dumpable, task->exec_state */

static inline bool remotefd_dumpable(struct task_struct *p, struct mm_struct *mm)
{
	const struct task_exec_state *es;
	bool ret;

	rcu_read_lock();
	es = rcu_dereference(p->exec_state);
	ret = es && READ_ONCE(es->dumpable) == TASK_DUMPABLE_OWNER;
	rcu_read_unlock();
	return ret;
}

/*
 * @mm is unused.  The caller holds p->signal->exec_update_lock or
 * task_lock(@p), so that p->exec_state cannot be replaced meanwhile.
 */
static inline struct user_namespace *
remotefd_task_user_ns(struct task_struct *p, struct mm_struct *mm)
{
	return rcu_dereference_protected(p->exec_state, 1)->user_ns;
}

#endif /* SUID_DUMP_USER */

/* v6.16: rdmsrl_safe() was renamed rdmsrq_safe(). */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 16, 0)
#define remotefd_rdmsr_safe(msr, p)	rdmsrq_safe(msr, p)
#else
#define remotefd_rdmsr_safe(msr, p)	rdmsrl_safe(msr, p)
#endif

/*
 * Walking an mm's VMAs (mmap lock held).  v6.1 (maple tree): the VMA
 * iterator; before, the mm->mmap list.
 */
#ifdef for_each_vma
#define REMOTEFD_VMA_ITERATOR(vmi, mm)	VMA_ITERATOR(vmi, mm, 0)
#define remotefd_for_each_vma(vmi, mm, vma)	for_each_vma(vmi, vma)
#else
#define REMOTEFD_VMA_ITERATOR(vmi, mm)	struct mm_struct *vmi = (mm)
#define remotefd_for_each_vma(vmi, mm, vma) \
	for ((vma) = (vmi)->mmap; (vma); (vma) = (vma)->vm_next)
#endif

#endif /* _REMOTEFD_COMPAT_H */
