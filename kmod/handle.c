// SPDX-License-Identifier: GPL-2.0-only
/*
 * remotefd target handles: REMOTEFD_IOC_ATTACH on /dev/remotefd, then
 * REMOTEFD_HANDLE_IOC_GETFD / _GETFDS / _INVENTORY on the handle (see the
 * uapi header for the ABI).
 *
 * Why
 *   REMOTEFD_IOC_GETFD answers the permission question by opening
 *   /proc/<pid>/mem as the caller (remotefd_main.c): a path walk, a file
 *   open and close per fd, several times the cost of the adoption itself.
 *   A handle asks it once and keeps what the answer depended on.
 *
 * What a handle keeps (all referenced, so no pointer can be reused)
 *   - the process: the struct pid of its thread-group leader (pid reuse
 *     gives another struct pid: the handle then finds no task, ESRCH); each
 *     use works on a live thread of it (the leader, or another thread once
 *     the leader exited alone);
 *   - the mm that was checked (mmgrab): the process image;
 *   - the target's real_cred and dumpability as the check saw them (read
 *     before it, compared after it: a change in between asks again);
 *   - the caller's cred when checked, and when (jiffies).
 *
 * Each use (rfd_handle_lock)
 *   Under exec_update_lock (read) and task_lock, the locks the lookup takes
 *   anyway: task->mm must be the checked mm (an exec replaced it: ESTALE,
 *   the handle names a process image, attach again), the target's real_cred
 *   pointer and dumpability must be the recorded ones, the caller's cred
 *   pointer the recorded one (creds are copy-on-write: any change of ids
 *   makes a new cred), and the check less than RFD_HANDLE_TTL old.  If all
 *   hold, the check's answer still stands: nothing it looked at changed.
 *   Otherwise the full check runs again, as the current caller
 *   (remotefd_check_lock: ptrace_may_access with every LSM hook); its
 *   answer is the answer.  So a handle passed to another process over
 *   SCM_RIGHTS, a caller or target that changed ids, or a target that
 *   turned non-dumpable is checked afresh, never waved through; and
 *   changes no pointer shows (Yama's ptrace_scope, PR_SET_PTRACER,
 *   reparenting out of a Yama scope-1 ancestry, LSM policy) take effect
 *   within RFD_HANDLE_TTL.  A full check that passes replaces the record
 *   (it is keyed by the caller's cred pointer, so it only ever speaks for
 *   the caller it was made for).
 *
 * Bounds
 *   GETFDS takes at most REMOTEFD_BATCH_MAX files under one hold of
 *   files->file_lock, O(1) each; INVENTORY at most REMOTEFD_INVENTORY_MAX,
 *   scanning the open-fd bitmap from start_fd (the target's own table, at
 *   most nr_open bits).  Files are referenced under the lock and described
 *   or installed after it is dropped; no reference survives the call.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/compat.h>
#include <linux/cred.h>
#include <linux/dcache.h>
#include <linux/dma-buf.h>
#include <linux/err.h>
#include <linux/fcntl.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hugetlb.h>
#include <linux/jiffies.h>
#include <linux/kdev_t.h>
#include <linux/magic.h>
#include <linux/mm.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/seq_file.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/stat.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include <linux/remotefd.h>	/* kmod/include/uapi/linux/remotefd.h */

#include "compat.h"
#include "remotefd.h"

#define RFD_HANDLE_TTL	HZ	/* a check's answer is reused for 1 s at most */
#define RFD_RETRIES	3

struct rfd_handle {
	struct pid *pid;		/* the thread-group leader's pid */
	struct mm_struct *mm;		/* the mm checked (mmgrab) */
	spinlock_t lock;		/* the record below */
	const struct cred *caller;	/* the caller's cred when checked */
	const struct cred *tcred;	/* the target's real_cred when checked */
	bool dumpable;			/* the target was dumpable then */
	unsigned long checked;		/* jiffies of the check */
};

static const struct file_operations rfd_handle_fops;

/* Replaces the record (references taken here). */
static void rfd_handle_record(struct rfd_handle *h, const struct cred *tcred,
			      bool dumpable)
{
	const struct cred *old_caller, *old_tcred;

	get_cred(tcred);
	spin_lock(&h->lock);
	old_caller = h->caller;
	old_tcred = h->tcred;
	h->caller = get_current_cred();
	h->tcred = tcred;
	h->dumpable = dumpable;
	h->checked = jiffies;
	spin_unlock(&h->lock);
	if (old_caller)
		put_cred(old_caller);
	if (old_tcred)
		put_cred(old_tcred);
}

/* Does the record still stand for this caller and this target?  task_lock. */
static bool rfd_handle_unchanged(struct rfd_handle *h, struct task_struct *task)
{
	bool ok;

	spin_lock(&h->lock);
	ok = h->caller == current_cred() &&
	     time_before(jiffies, h->checked + RFD_HANDLE_TTL) &&
	     rcu_access_pointer(task->real_cred) == h->tcred &&
	     remotefd_dumpable(task, h->mm) == h->dumpable;
	spin_unlock(&h->lock);
	return ok;
}

/* Dumpability as the permission check will see it (task->mm's). */
static bool rfd_task_dumpable(struct task_struct *task)
{
	bool dumpable;

	task_lock(task);
	dumpable = remotefd_dumpable(task, task->mm);
	task_unlock(task);
	return dumpable;
}

/*
 * One full check, as the current caller, recorded in @h.  What the record
 * keeps (the target's real_cred and dumpability) is read before the check
 * and must be unchanged after it, so the record holds what the check saw: a
 * target that changes ids or turns non-dumpable during the check is asked
 * again, never recorded as checked.  The first check (attach) sets h->mm;
 * later ones require it (ESTALE: exec'd since the attach).  Returns 0 with
 * exec_update_lock held; -EAGAIN (changed during the check) or -errno with
 * nothing held.
 */
static int rfd_check_once(struct rfd_handle *h, struct task_struct *task)
{
	const struct cred *tcred;
	struct mm_struct *mm;
	struct file *mem;
	bool dumpable;
	int ret = 0;

	tcred = get_task_cred(task);
	dumpable = rfd_task_dumpable(task);
	mem = remotefd_check_lock(task);
	if (IS_ERR(mem)) {
		put_cred(tcred);
		return PTR_ERR(mem);
	}
	mm = mem->private_data;		/* the checked mm, pinned by mem */
	task_lock(task);
	if (!task->mm)
		ret = -ESRCH;
	else if (task->mm != mm ||
		 rcu_access_pointer(task->real_cred) != tcred ||
		 remotefd_dumpable(task, mm) != dumpable)
		ret = -EAGAIN;
	else if (h->mm && h->mm != mm)
		ret = -ESTALE;
	task_unlock(task);
	if (ret) {
		remotefd_check_unlock(task, mem);
		put_cred(tcred);
		return ret;
	}
	if (!h->mm) {
		mmgrab(mm);
		h->mm = mm;
	}
	fput(mem);			/* h->mm pins the mm; keep the lock */
	rfd_handle_record(h, tcred, dumpable);
	put_cred(tcred);
	return 0;
}

/* rfd_check_once, retried while the target changes under it. */
static int rfd_handle_check(struct rfd_handle *h, struct task_struct *task)
{
	int ret, tries;

	for (tries = 0; tries < RFD_RETRIES; tries++) {
		ret = rfd_check_once(h, task);
		if (ret != -EAGAIN)
			break;
	}
	return ret;
}

/*
 * A live thread of the handle's process, referenced: its leader, or, once
 * the leader has exited alone (pthread_exit), another thread that still has
 * the mm.  NULL when the process is gone.  The fd table and the exec lock
 * are the process's, whichever thread is used.
 */
static struct task_struct *rfd_handle_task(struct pid *pid)
{
	struct task_struct *leader, *t, *found = NULL;

	leader = get_pid_task(pid, PIDTYPE_PID);
	if (!leader || READ_ONCE(leader->mm))
		return leader;
	rcu_read_lock();
	for_each_thread(leader, t) {
		if (READ_ONCE(t->mm)) {
			found = get_task_struct(t);
			break;
		}
	}
	rcu_read_unlock();
	put_task_struct(leader);
	return found;
}

/* Runs under task_lock (may not sleep) on the target's fd table, or NULL. */
typedef void (*rfd_lookup_t)(struct files_struct *files, void *arg);

/*
 * Validates the handle for the caller (see "Each use") and, if its check
 * stands, runs @lookup (if any) under exec_update_lock and task_lock: one
 * round of the locks the lookup needs anyway.  0, or -errno with @lookup
 * not run.
 */
static int rfd_handle_lookup(struct rfd_handle *h, rfd_lookup_t lookup,
			     void *arg)
{
	struct task_struct *task;
	bool ok, gone;
	int ret;

	task = rfd_handle_task(h->pid);
	if (!task)
		return -ESRCH;

	ret = down_read_killable(&task->signal->exec_update_lock);
	if (ret)
		goto out;
	task_lock(task);
	ok = task->mm == h->mm && rfd_handle_unchanged(h, task);
	if (ok && lookup)
		lookup(task->files, arg);	/* the fast path */
	gone = !task->mm;
	task_unlock(task);
	up_read(&task->signal->exec_update_lock);
	if (ok)
		goto out;
	if (gone) {
		ret = -ESRCH;
		goto out;
	}
	ret = rfd_handle_check(h, task);	/* exec_update_lock held if 0 */
	if (ret)
		goto out;
	task_lock(task);
	ok = task->mm == h->mm;		/* no exec: we hold exec_update_lock */
	if (ok && lookup)
		lookup(task->files, arg);
	task_unlock(task);
	up_read(&task->signal->exec_update_lock);
	if (!ok)
		ret = -ESRCH;		/* exited meanwhile */
out:
	put_task_struct(task);
	return ret;
}

/* ---- REMOTEFD_HANDLE_IOC_GETFD ------------------------------------------ */

struct rfd_one {
	unsigned int fd;
	struct file *file;
};

static void rfd_lookup_one(struct files_struct *files, void *arg)
{
	struct rfd_one *one = arg;

	if (files)
		one->file = remotefd_fget_files(files, one->fd);
}

static long rfd_handle_getfd(struct rfd_handle *h,
			     struct remotefd_handle_getfd __user *uarg)
{
	struct remotefd_handle_getfd req;
	struct rfd_one one = {};
	long ret;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.fd_flags & ~O_CLOEXEC || req.reserved)
		return -EINVAL;
	if (req.fd < 0)
		return -EBADF;

	one.fd = req.fd;
	ret = rfd_handle_lookup(h, rfd_lookup_one, &one);
	if (ret)
		return ret;
	if (!one.file)
		return -EBADF;

	ret = remotefd_install(one.file, NULL, req.fd_flags);
	fput(one.file);
	return ret;
}

/* ---- REMOTEFD_HANDLE_IOC_GETFDS ----------------------------------------- */

struct rfd_batch {
	const struct remotefd_batch_entry *ents;
	struct file **filev;
	u32 count;
};

/* Every entry's file, under one hold of file_lock. */
static void rfd_lookup_batch(struct files_struct *files, void *arg)
{
	struct rfd_batch *b = arg;
	u32 i;

	if (!files)
		return;
	spin_lock(&files->file_lock);
	for (i = 0; i < b->count; i++) {
		if (b->ents[i].fd < 0)
			continue;
		b->filev[i] = remotefd_files_lookup_locked(files, b->ents[i].fd);
		if (b->filev[i])
			get_file(b->filev[i]);
	}
	spin_unlock(&files->file_lock);
}

static long rfd_handle_getfds(struct rfd_handle *h,
			      struct remotefd_batch __user *uarg)
{
	struct remotefd_batch_entry __user *uents;
	struct remotefd_batch_entry *ents;
	struct remotefd_batch req;
	struct rfd_batch batch;
	struct file **filev;
	long ret = 0;
	u32 i;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.fd_flags & ~O_CLOEXEC || req.reserved[0] || req.reserved[1])
		return -EINVAL;
	if (!req.count)
		return -EINVAL;
	if (req.count > REMOTEFD_BATCH_MAX)
		return -E2BIG;
	uents = u64_to_user_ptr(req.entries);

	ents = kvmalloc_array(req.count, sizeof(*ents), GFP_KERNEL_ACCOUNT);
	filev = kvcalloc(req.count, sizeof(*filev), GFP_KERNEL_ACCOUNT);
	if (!ents || !filev) {
		ret = -ENOMEM;
		goto out_free;
	}
	if (copy_from_user(ents, uents, array_size(req.count, sizeof(*ents)))) {
		ret = -EFAULT;
		goto out_free;
	}

	batch.ents = ents;
	batch.filev = filev;
	batch.count = req.count;
	ret = rfd_handle_lookup(h, rfd_lookup_batch, &batch);
	if (ret)
		goto out_free;

	/* No lock held: install each, storing its number or -errno. */
	for (i = 0; i < req.count; i++) {
		int r = -EBADF;

		if (filev[i]) {
			r = remotefd_install(filev[i], &uents[i].result,
					     req.fd_flags);
			if (r >= 0)
				continue;	/* stored by remotefd_install */
		}
		if (r == -EFAULT || put_user(r, &uents[i].result)) {
			ret = -EFAULT;	/* no fd left unnamed */
			break;
		}
	}
out_free:
	if (filev)
		for (i = 0; i < req.count; i++)
			if (filev[i])
				fput(filev[i]);
	kvfree(filev);
	kvfree(ents);
	return ret;
}

/* ---- REMOTEFD_HANDLE_IOC_INVENTORY -------------------------------------- */

struct rfd_held {
	struct file *file;
	int fd;
	bool cloexec;
};

static void rfd_dmabuf_names(struct file *file, struct remotefd_fd_record *r)
{
	struct dma_buf *dmabuf = file->private_data;

	r->info |= REMOTEFD_INFO_DMABUF;
	strscpy(r->exp_name, dmabuf->exp_name ?: "", sizeof(r->exp_name));
	spin_lock(&dmabuf->name_lock);
	strscpy(r->buf_name, dmabuf->name ?: "", sizeof(r->buf_name));
	spin_unlock(&dmabuf->name_lock);
}

/* One record, as fstat, fstatfs, readlink and F_GET_SEALS would see it. */
static void rfd_describe(const struct rfd_held *held,
			 struct remotefd_fd_record *r, char *path)
{
	struct file *file = held->file;
	struct kstat st;
	char *p;

	memset(r, 0, sizeof(*r));
	r->fd = held->fd;
	r->f_flags = file->f_flags;
	if (held->cloexec)
		r->info |= REMOTEFD_INFO_CLOEXEC;
	if (!vfs_getattr(&file->f_path, &st, STATX_BASIC_STATS,
			 AT_STATX_SYNC_AS_STAT)) {
		r->mode = st.mode;
		r->dev = new_encode_dev(st.dev);
		r->rdev = new_encode_dev(st.rdev);
		r->ino = st.ino;
		r->size = st.size;
		r->nlink = st.nlink;
		r->uid = from_kuid_munged(current_user_ns(), st.uid);
		r->gid = from_kgid_munged(current_user_ns(), st.gid);
	}
	r->fs_magic = file_inode(file)->i_sb->s_magic;
	r->fs_bsize = file_inode(file)->i_sb->s_blocksize;
	r->file_count = file_count(file) - 1;	/* not ours */
	if (remotefd_file_seals(file, &r->seals))
		r->info |= REMOTEFD_INFO_SEALS;
	if (remotefd_file_dmabuf(file))
		rfd_dmabuf_names(file, r);

	p = d_path(&file->f_path, path, PATH_MAX);
	if (IS_ERR(p))
		p = "";
	if (strscpy(r->name, p, sizeof(r->name)) < 0)
		r->info |= REMOTEFD_INFO_NAME_TRUNCATED;
}

/*
 * Under files->file_lock: references the open files from @start, up to
 * @max of them, into @held; returns how many and the next open fd (or -1).
 */
static u32 rfd_collect(struct files_struct *files, unsigned int start,
		       struct rfd_held *held, u32 max, int *next)
{
	struct fdtable *fdt = files_fdtable(files);
	unsigned int fd = start;
	struct file *file;
	u32 n = 0;

	*next = -1;
	for (fd = find_next_bit(fdt->open_fds, fdt->max_fds, fd);
	     fd < fdt->max_fds;
	     fd = find_next_bit(fdt->open_fds, fdt->max_fds, fd + 1)) {
		if (n == max) {
			*next = fd;
			break;
		}
		file = remotefd_files_lookup_locked(files, fd);
		if (!file)
			continue;	/* reserved, not installed yet */
		held[n].file = get_file(file);
		held[n].fd = fd;
		held[n].cloexec = test_bit(fd, fdt->close_on_exec);
		n++;
	}
	return n;
}

struct rfd_collect {
	unsigned int start;
	struct rfd_held *held;
	u32 max;
	u32 n;
	int next;
};

static void rfd_lookup_collect(struct files_struct *files, void *arg)
{
	struct rfd_collect *c = arg;

	if (!files)
		return;
	spin_lock(&files->file_lock);
	c->n = rfd_collect(files, c->start, c->held, c->max, &c->next);
	spin_unlock(&files->file_lock);
}

static long rfd_handle_inventory(struct rfd_handle *h,
				 struct remotefd_inventory __user *uarg)
{
	struct remotefd_fd_record __user *urecs;
	struct remotefd_inventory req;
	struct remotefd_fd_record *rec = NULL;
	struct rfd_collect col = { .next = -1 };
	struct rfd_held *held;
	char *path = NULL;
	long ret = 0;
	u32 n = 0, i;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.reserved[0] || req.reserved[1] || req.start_fd < 0 || !req.count)
		return -EINVAL;
	if (req.count > REMOTEFD_INVENTORY_MAX)
		return -E2BIG;
	urecs = u64_to_user_ptr(req.records);

	held = kvcalloc(req.count, sizeof(*held), GFP_KERNEL_ACCOUNT);
	rec = kmalloc(sizeof(*rec), GFP_KERNEL);
	path = kmalloc(PATH_MAX, GFP_KERNEL);
	if (!held || !rec || !path) {
		ret = -ENOMEM;
		goto out_free;
	}

	col.start = req.start_fd;
	col.held = held;
	col.max = req.count;
	ret = rfd_handle_lookup(h, rfd_lookup_collect, &col);
	if (ret)
		goto out_free;
	n = col.n;

	for (i = 0; i < n; i++) {
		rfd_describe(&held[i], rec, path);
		if (copy_to_user(&urecs[i], rec, sizeof(*rec))) {
			ret = -EFAULT;
			goto out_put;
		}
	}
	if (put_user(n, &uarg->returned) || put_user(col.next, &uarg->next_fd))
		ret = -EFAULT;
out_put:
	for (i = 0; i < n; i++)
		fput(held[i].file);
out_free:
	kfree(path);
	kfree(rec);
	kvfree(held);
	return ret;
}

/* ---- REMOTEFD_HANDLE_IOC_GETMAP ----------------------------------------- */

static long rfd_handle_getmap(struct rfd_handle *h,
			      struct remotefd_getmap __user *uarg)
{
	struct remotefd_getmap req;
	struct file *file = NULL;
	int ret;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.target || req.flags)
		return -EINVAL;
	ret = remotefd_check_getmap(&req);
	if (ret)
		return ret;

	/* The check stands for h->mm; its address space is walked after. */
	ret = rfd_handle_lookup(h, NULL, NULL);
	if (ret)
		return ret;
	ret = remotefd_map_file(h->mm, &req, &file);
	return remotefd_getmap_finish(uarg, &req, file, ret);
}

/* ---- the handle file ----------------------------------------------------- */

static long rfd_handle_ioctl(struct file *file, unsigned int cmd,
			     unsigned long arg)
{
	struct rfd_handle *h = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case REMOTEFD_HANDLE_IOC_GETFD:
		return rfd_handle_getfd(h, uarg);
	case REMOTEFD_HANDLE_IOC_GETFDS:
		return rfd_handle_getfds(h, uarg);
	case REMOTEFD_HANDLE_IOC_INVENTORY:
		return rfd_handle_inventory(h, uarg);
	case REMOTEFD_HANDLE_IOC_GETMAP:
		return rfd_handle_getmap(h, uarg);
	default:
		return -ENOTTY;
	}
}

static void rfd_handle_free(struct rfd_handle *h)
{
	if (h->caller)
		put_cred(h->caller);
	if (h->tcred)
		put_cred(h->tcred);
	if (h->mm)
		mmdrop(h->mm);
	if (h->pid)
		put_pid(h->pid);
	kfree(h);
}

static int rfd_handle_release(struct inode *inode, struct file *file)
{
	rfd_handle_free(file->private_data);
	return 0;
}

static void rfd_handle_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct rfd_handle *h = file->private_data;

	/* In the reader's pid namespace; 0 if the process is not visible. */
	seq_printf(m, "target_pid:\t%d\n", pid_vnr(h->pid));
}

static const struct file_operations rfd_handle_fops = {
	.owner		= THIS_MODULE,
	.release	= rfd_handle_release,
	.unlocked_ioctl	= rfd_handle_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,	/* same layout for 32-bit */
	.show_fdinfo	= rfd_handle_show_fdinfo,
	.llseek		= noop_llseek,
};

/* ---- REMOTEFD_IOC_ATTACH ------------------------------------------------- */

long remotefd_ioctl_attach(struct remotefd_attach __user *uarg)
{
	struct remotefd_attach req;
	struct task_struct *task;
	struct rfd_handle *h;
	int ret;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.flags & ~REMOTEFD_TARGET_PIDFD || req.fd_flags & ~O_CLOEXEC)
		return -EINVAL;
	if (req.reserved0 || req.reserved[0] || req.reserved[1])
		return -EINVAL;

	task = remotefd_target_task(req.target, req.flags);
	if (IS_ERR(task))
		return PTR_ERR(task);

	h = kzalloc(sizeof(*h), GFP_KERNEL_ACCOUNT);
	if (!h) {
		ret = -ENOMEM;
		goto out_task;
	}
	spin_lock_init(&h->lock);
	/* The process (its leader's pid), whichever thread was named. */
	h->pid = get_pid(task_tgid(task));
	put_task_struct(task);
	task = rfd_handle_task(h->pid);
	if (!task) {
		ret = -ESRCH;
		goto out_free;
	}
	ret = rfd_handle_check(h, task);
	if (ret)
		goto out_task;
	up_read(&task->signal->exec_update_lock);
	put_task_struct(task);

	ret = anon_inode_getfd("[remotefd-target]", &rfd_handle_fops, h,
			       O_RDWR | req.fd_flags);
	if (ret < 0)
		goto out_free;
	return ret;

out_task:
	put_task_struct(task);
out_free:
	if (h)
		rfd_handle_free(h);
	return ret;
}
