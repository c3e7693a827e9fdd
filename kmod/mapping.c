// SPDX-License-Identifier: GPL-2.0-only
/*
 * remotefd: the file behind a mapping (REMOTEFD_IOC_GETMAP on /dev/remotefd,
 * REMOTEFD_HANDLE_IOC_GETMAP on a target handle; see the uapi header).
 *
 * A producer that mmap()s a memfd, a shm file or a dma-buf and closes the
 * fd keeps the buffer alive through the mapping: vma->vm_file holds the
 * file.  It is the same object the owner could be ptrace'd for, so the
 * permission is REMOTEFD_IOC_GETFD's, asked the same way.  Files the owner
 * may never have held as an fd (the exec'd binary, SysV segments, shared
 * anonymous memory, backing files) also take /proc/PID/map_files'
 * capability: remotefd_map_file_needs_cap() in target.c.
 *
 * Locking: the caller holds the target's exec_update_lock (read) with the
 * checked mm validated as the task's mm; here mmget_not_zero() keeps the
 * address space from being torn down and the mmap lock (read, killable)
 * keeps the VMA.  exec_update_lock -> mmap_lock is exec's own order
 * (exec_mmap()).  The file is referenced under the mmap lock and installed
 * by the caller once every lock is dropped.
 */
#include <linux/err.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/uaccess.h>

#include <linux/remotefd.h>	/* kmod/include/uapi/linux/remotefd.h */

#include "remotefd.h"

/* Describes the mapping of @mm at @req->addr; references its file. */
int remotefd_map_file(struct mm_struct *mm, struct remotefd_getmap *req,
		      struct file **filep)
{
	struct vm_area_struct *vma;
	struct file *file = NULL;
	int ret = 0;

	req->kind = REMOTEFD_MAP_NONE;
	if (!mmget_not_zero(mm))
		return -ESRCH;		/* the address space is gone */
	if (mmap_read_lock_killable(mm)) {
		mmput(mm);
		return -EINTR;
	}
	vma = find_vma(mm, req->addr);
	if (!vma || vma->vm_start > req->addr) {
		ret = -ENXIO;
		goto out;
	}
	req->start = vma->vm_start;
	req->end = vma->vm_end;
	req->pgoff = (u64)vma->vm_pgoff << PAGE_SHIFT;
	req->prot = (vma->vm_flags & VM_READ ? PROT_READ : 0) |
		    (vma->vm_flags & VM_WRITE ? PROT_WRITE : 0) |
		    (vma->vm_flags & VM_EXEC ? PROT_EXEC : 0);
	req->map_flags = vma->vm_flags & VM_SHARED ? REMOTEFD_MAP_SHARED : 0;
	if (vma->vm_file) {
		req->kind = REMOTEFD_MAP_FILE;
		file = get_file(vma->vm_file);
	} else {
		req->kind = vma_is_anonymous(vma) ? REMOTEFD_MAP_ANON :
						    REMOTEFD_MAP_SPECIAL;
		ret = -ENODEV;
	}
out:
	mmap_read_unlock(mm);
	mmput(mm);
	/* Asked outside the mmap lock: the capability check may audit. */
	if (file && remotefd_map_file_needs_cap(file)) {
		req->map_flags |= REMOTEFD_MAP_NEEDS_CAP;
		if (!remotefd_map_capable(true)) {
			fput(file);
			file = NULL;
			ret = -EPERM;
		}
	}
	*filep = file;
	return ret;
}

int remotefd_check_getmap(const struct remotefd_getmap *req)
{
	if (req->fd_flags & ~O_CLOEXEC)
		return -EINVAL;
	if (req->reserved[0] || req->reserved[1])
		return -EINVAL;
	return 0;
}

/*
 * Writes the description back, installs the file if there is one.  Returns
 * the new fd, or @ret (the lookup's error) with the description written.
 */
long remotefd_getmap_finish(struct remotefd_getmap __user *uarg,
			    struct remotefd_getmap *req, struct file *file,
			    int ret)
{
	if (copy_to_user(uarg, req, sizeof(*req)))
		ret = -EFAULT;
	if (file) {
		if (!ret)
			ret = remotefd_install(file, NULL, req->fd_flags);
		fput(file);
	}
	return ret;
}

/* REMOTEFD_IOC_GETMAP: the GETFD check on the named target, then the lookup. */
long remotefd_ioctl_getmap(struct remotefd_getmap __user *uarg)
{
	struct remotefd_getmap req;
	struct task_struct *task;
	struct file *file = NULL;
	struct mm_struct *mm;
	struct file *mem;
	int ret;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.flags & ~REMOTEFD_TARGET_PIDFD)
		return -EINVAL;
	ret = remotefd_check_getmap(&req);
	if (ret)
		return ret;

	task = remotefd_target_task(req.target, req.flags);
	if (IS_ERR(task))
		return PTR_ERR(task);

	mem = remotefd_check_lock(task);
	if (IS_ERR(mem)) {
		ret = PTR_ERR(mem);
		goto out_task;
	}
	mm = mem->private_data;		/* the checked mm */
	task_lock(task);
	if (!task->mm)
		ret = -ESRCH;
	else if (task->mm != mm)
		ret = -EAGAIN;		/* exec'd since the check: ask again */
	task_unlock(task);
	if (!ret)
		ret = remotefd_map_file(mm, &req, &file);
	remotefd_check_unlock(task, mem);
	put_task_struct(task);
	return remotefd_getmap_finish(uarg, &req, file, ret);

out_task:
	put_task_struct(task);
	return ret;
}
