// SPDX-License-Identifier: GPL-2.0
/*
 * remotefd capture on exit: REMOTEFD_IOC_WATCH / _UNWATCH / _COLLECT and
 * poll() on /dev/remotefd (see the uapi header for the ABI).
 *
 * Ownership
 *   Each open file of /dev/remotefd has a watcher (file->private_data): its
 *   watches and its queue of events.  Closing the file disarms the watches
 *   and fputs every queued file; rmmod is refused while the file is open
 *   (fops owner), so nothing can outlive the module.
 *
 * Permission (arm time)
 *   REMOTEFD_IOC_WATCH runs the REMOTEFD_IOC_GETFD check: the caller opens
 *   /proc/<pid>/mem on the private procfs mount (remotefd_open_mem()), i.e.
 *   ptrace_may_access(PTRACE_MODE_ATTACH) with every LSM hook.  Then, under
 *   exec_update_lock and task_lock, it requires task->mm to be the mm that
 *   was checked (no exec since the check) and task->real_cred to be the
 *   cred it referenced before the check (no credential change since), and
 *   records in the watch:
 *     - a reference to that real_cred (so the pointer cannot be reused),
 *     - the task's self_exec_id (bumped by every exec),
 *     - the checked mm (mmgrab) and whether it was dumpable.
 *   The watch is hashed while task_lock is held and task->mm is non-NULL:
 *   exit_mm() clears task->mm under task_lock before the exit tracepoint
 *   runs, so a target that passed the check cannot exit unseen.
 *
 * Permission (exit time)
 *   The check answered for the target as it was at arm time.  Capturing
 *   later is only the same decision if the target is still that: the exit
 *   hook captures only if the exiting task has the very same real_cred
 *   pointer, the same self_exec_id and (if it was dumpable when armed) a
 *   still dumpable mm.  Otherwise it queues REMOTEFD_EVENT_DENIED and
 *   captures nothing.  This covers exec of a setuid program (new exec id,
 *   new cred), setuid()/setresuid() without exec (new cred, and the mm made
 *   non-dumpable), prctl(PR_SET_DUMPABLE, 0), and the exec of any other
 *   program (new exec id: arm again after an exec).  The rule is
 *   conservative: any commit_creds() (setgroups, capset, a new session
 *   keyring, setuid to the same ids) denies too.  The watcher's own
 *   authority is taken at arm time, as for any open file (like an open
 *   /proc/<pid>/mem): a later change of the watcher's credentials or of
 *   Yama's ptrace_scope does not disarm existing watches.
 *
 * Exit rule
 *   A watch names a process (thread group, by its struct pid of type TGID;
 *   any thread id may be given when arming).  It fires once, in the
 *   sched_process_exit tracepoint of the thread that finds the group's
 *   signal->live count at zero: do_exit() decrements it before exit_mm()
 *   and the tracepoint, so the last thread's tracepoint always sees zero
 *   (the fd table is no longer changed by anybody: every thread is in
 *   do_exit()).  Several dying threads may see zero; the first one unhashes
 *   the watch under rfd_watch_lock, the others find nothing.  The tracepoint
 *   runs on the exiting task itself (current), after exit_mm() and before
 *   exit_files(): current->files is still the process's table.  Threads
 *   that exit while others live (pthread_exit of the main thread) do not
 *   fire; an exec by a non-leader thread kills the others but keeps the
 *   group alive (no fire; the exec then denies at exit).
 *
 * Exit hook (atomic context: preemption off, may not sleep)
 *   Registered for the module's lifetime (for_each_kernel_tracepoint +
 *   tracepoint_probe_register; unregistered and synchronised before
 *   unload).  An atomic counter of armed watches keeps every other exit
 *   to two atomic reads.  Under rfd_watch_lock (a spinlock; never taken
 *   in interrupt context): hash lookup by struct pid, iterate_fd() (takes
 *   files->file_lock, a spinlock), get_file() on the matches, events
 *   allocated GFP_ATOMIC; an allocation failure or a full queue
 *   (RFD_MAX_QUEUE) drops that event and counts it in the final event's
 *   "lost"; the final event is allocated at arm time and never lost.  The
 *   events are spliced into the watcher's queue under its spinlock and the
 *   watcher is woken.  Nothing is freed and no fput() is done in the hook.
 *   Files of /dev/remotefd are never captured (REMOTEFD_EVENT_SKIPPED): a
 *   watcher queued in another watcher's queue could form a reference cycle
 *   that no close would break.
 *
 * Lock order
 *   watcher->mutex -> exec_update_lock -> task_lock -> rfd_watch_lock ->
 *   files->file_lock, watcher->lock.  The watcher's lifetime against the
 *   hook: release() unhashes every watch under rfd_watch_lock first, after
 *   which no hook can reach the watcher; then it frees the queue.
 *
 * Limits: RFD_MAX_WATCHES armed watches per open file (ENOSPC), 1024 fds
 * per watch (E2BIG), RFD_MAX_QUEUE queued non-final events per open file.
 * Known limit: a captured unix socket carrying the watcher's own file in
 * flight (SCM_RIGHTS) makes a cycle the unix garbage collector does not see.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/cred.h>
#include <linux/err.h>
#include <linux/fcntl.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hashtable.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/pid.h>
#include <linux/poll.h>
#include <linux/sched.h>
#include <linux/sched/coredump.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include <linux/remotefd.h>	/* kmod/include/uapi/linux/remotefd.h */

#include "remotefd.h"

#define RFD_MAX_WATCHES	256
#define RFD_MAX_QUEUE	16384
#define RFD_RETRIES	3

struct rfd_event {
	struct list_head node;
	struct file *file;		/* REMOTEFD_EVENT_FILE */
	s32 pid;
	s32 fd;
	u32 type;
	u32 count;
	u32 lost;
	bool final;			/* EXIT/DENIED: not counted in nqueued */
};

struct rfd_watcher {
	spinlock_t lock;		/* queue, nqueued */
	struct list_head queue;
	unsigned int nqueued;
	wait_queue_head_t wait;
	struct mutex mutex;		/* watches, nwatches */
	struct list_head watches;
	unsigned int nwatches;
};

struct rfd_watch {
	struct hlist_node hnode;	/* rfd_watch_hash, under rfd_watch_lock */
	struct list_head wnode;		/* watcher->watches, under its mutex */
	struct rfd_watcher *watcher;
	struct pid *tgid;
	pid_t nr;			/* tgid in the watcher's pid namespace */
	const struct cred *cred;	/* the target's real_cred when checked */
	u64 exec_id;			/* its self_exec_id */
	struct mm_struct *mm;		/* the mm checked (mmgrab) */
	bool dumpable;			/* mm was SUID_DUMP_USER when armed */
	bool all_fds;
	bool armed;			/* hashed; under rfd_watch_lock */
	struct rfd_event *final;	/* preallocated final event */
	u32 nfds;
	s32 fds[];			/* sorted, distinct */
};

static DEFINE_HASHTABLE(rfd_watch_hash, 6);
static DEFINE_SPINLOCK(rfd_watch_lock);
static atomic_t rfd_narmed = ATOMIC_INIT(0);
static struct tracepoint *rfd_exit_tp;

/* ---- exit hook (atomic context) ------------------------------------------ */

struct rfd_grab {
	struct rfd_watch *w;
	struct list_head list;
	u32 n;				/* events on list */
	u32 files;			/* FILE events on list */
	u32 lost;
	u32 budget;			/* events the queue may still take */
	s32 want;			/* armed fd looked for, -1: all */
	bool found;
};

static struct rfd_event *rfd_event_add(struct rfd_grab *g, u32 type, int fd)
{
	struct rfd_event *ev;

	if (!g->budget) {
		g->lost++;
		return NULL;
	}
	ev = kzalloc(sizeof(*ev), GFP_ATOMIC | __GFP_NOWARN);
	if (!ev) {
		g->lost++;
		return NULL;
	}
	g->budget--;
	g->n++;
	ev->pid = g->w->nr;
	ev->fd = fd;
	ev->type = type;
	list_add_tail(&ev->node, &g->list);
	return ev;
}

/* iterate_fd() callback, under files->file_lock: may not sleep. */
static int rfd_grab_fd(const void *p, struct file *file, unsigned int n)
{
	struct rfd_grab *g = (struct rfd_grab *)p;
	struct rfd_event *ev;

	if (g->want >= 0 && n != g->want)
		return 1;		/* armed fd not open */
	g->found = true;
	if (file->f_op == &remotefd_fops) {
		rfd_event_add(g, REMOTEFD_EVENT_SKIPPED, n);
	} else {
		ev = rfd_event_add(g, REMOTEFD_EVENT_FILE, n);
		if (ev) {
			ev->file = get_file(file);
			g->files++;
		}
	}
	return g->want >= 0;	/* one armed fd: stop; all: go on */
}

static bool rfd_unchanged(struct rfd_watch *w, struct task_struct *p)
{
	if (rcu_access_pointer(p->real_cred) != w->cred)
		return false;
	if (READ_ONCE(p->self_exec_id) != w->exec_id)
		return false;
	if (w->dumpable && get_dumpable(w->mm) != SUID_DUMP_USER)
		return false;
	return true;
}

/* Under rfd_watch_lock; p is current, exiting, files not yet released. */
static void rfd_capture(struct rfd_watch *w, struct task_struct *p)
{
	struct rfd_watcher *wr = w->watcher;
	struct rfd_event *final = w->final;
	struct rfd_grab g = { .w = w };
	struct files_struct *files;
	u32 i;

	INIT_LIST_HEAD(&g.list);
	w->final = NULL;

	if (!rfd_unchanged(w, p)) {
		final->type = REMOTEFD_EVENT_DENIED;
	} else {
		spin_lock(&wr->lock);
		g.budget = wr->nqueued < RFD_MAX_QUEUE ?
			   RFD_MAX_QUEUE - wr->nqueued : 0;
		spin_unlock(&wr->lock);

		/* current's own table: stable without task_lock. */
		files = p->files;
		if (w->all_fds) {
			g.want = -1;
			if (files)
				iterate_fd(files, 0, rfd_grab_fd, &g);
		} else {
			for (i = 0; i < w->nfds; i++) {
				g.want = w->fds[i];
				g.found = false;
				if (files)
					iterate_fd(files, g.want, rfd_grab_fd, &g);
				if (!g.found)
					rfd_event_add(&g, REMOTEFD_EVENT_NOT_OPEN,
						      g.want);
			}
		}
		final->type = REMOTEFD_EVENT_EXIT;
		final->count = g.files;
		final->lost = g.lost;
	}

	spin_lock(&wr->lock);
	list_splice_tail(&g.list, &wr->queue);
	wr->nqueued += g.n;
	list_add_tail(&final->node, &wr->queue);
	spin_unlock(&wr->lock);
	wake_up_interruptible_poll(&wr->wait, EPOLLIN | EPOLLRDNORM);
}

static void rfd_exit_probe(void *data, struct task_struct *p)
{
	struct rfd_watch *w;
	struct hlist_node *tmp;
	struct pid *tgid;

	if (!atomic_read(&rfd_narmed))
		return;
	/* Not the last thread of its group (see "Exit rule"). */
	if (atomic_read(&p->signal->live))
		return;

	tgid = task_tgid(p);
	spin_lock(&rfd_watch_lock);
	hash_for_each_possible_safe(rfd_watch_hash, w, tmp, hnode,
				    (unsigned long)tgid) {
		if (w->tgid != tgid)
			continue;
		hash_del(&w->hnode);
		w->armed = false;
		atomic_dec(&rfd_narmed);
		rfd_capture(w, p);
	}
	spin_unlock(&rfd_watch_lock);
}

/* ---- watches (process context) ------------------------------------------- */

static void rfd_watch_free(struct rfd_watch *w)
{
	if (w->tgid)
		put_pid(w->tgid);
	if (w->cred)
		put_cred(w->cred);
	if (w->mm)
		mmdrop(w->mm);
	kfree(w->final);
	kfree(w);
}

/* Returns true if @w was still armed: no hook can reach it afterwards. */
static bool rfd_watch_disarm(struct rfd_watch *w)
{
	bool was;

	spin_lock(&rfd_watch_lock);
	was = w->armed;
	if (was) {
		hash_del(&w->hnode);
		w->armed = false;
		atomic_dec(&rfd_narmed);
	}
	spin_unlock(&rfd_watch_lock);
	return was;
}

/* Frees the watches that fired (their events are queued).  Under mutex. */
static void rfd_prune(struct rfd_watcher *wr)
{
	struct rfd_watch *w, *tmp;
	bool armed;

	list_for_each_entry_safe(w, tmp, &wr->watches, wnode) {
		spin_lock(&rfd_watch_lock);
		armed = w->armed;
		spin_unlock(&rfd_watch_lock);
		if (armed)
			continue;
		list_del(&w->wnode);
		wr->nwatches--;
		rfd_watch_free(w);
	}
}

static int rfd_cmp_s32(const void *a, const void *b)
{
	s32 x = *(const s32 *)a, y = *(const s32 *)b;

	return x < y ? -1 : x > y;
}


/*
 * One attempt: the GETFD permission check, then, under exec_update_lock and
 * task_lock, record what was checked and hash the watch.  -EAGAIN when the
 * target exec'd or changed credentials in between.
 */
static int rfd_arm_once(struct task_struct *task, struct rfd_watch *w)
{
	const struct cred *cred;
	struct mm_struct *mm;
	struct rfd_watch *o;
	struct file *mem;
	int ret;

	cred = get_task_cred(task);
	mem = remotefd_check_lock(task);
	if (IS_ERR(mem)) {
		ret = PTR_ERR(mem);
		goto out_cred;
	}
	mm = mem->private_data;		/* the checked mm, pinned by mem */
	ret = 0;

	task_lock(task);
	if (!task->mm) {
		ret = -ESRCH;		/* exited meanwhile */
	} else if (task->mm != mm ||
		   rcu_access_pointer(task->real_cred) != cred) {
		ret = -EAGAIN;		/* exec'd or new creds meanwhile */
	} else {
		w->exec_id = task->self_exec_id;
		w->dumpable = get_dumpable(mm) == SUID_DUMP_USER;
		spin_lock(&rfd_watch_lock);
		hash_for_each_possible(rfd_watch_hash, o, hnode,
				       (unsigned long)w->tgid) {
			if (o->tgid == w->tgid && o->watcher == w->watcher) {
				ret = -EEXIST;
				break;
			}
		}
		if (!ret) {
			w->cred = cred;
			cred = NULL;
			mmgrab(mm);
			w->mm = mm;
			w->armed = true;
			hash_add(rfd_watch_hash, &w->hnode,
				 (unsigned long)w->tgid);
			atomic_inc(&rfd_narmed);
		}
		spin_unlock(&rfd_watch_lock);
	}
	task_unlock(task);
	remotefd_check_unlock(task, mem);
out_cred:
	if (cred)
		put_cred(cred);
	return ret;
}

static long rfd_ioctl_watch(struct rfd_watcher *wr,
			    struct remotefd_watch __user *uarg)
{
	struct remotefd_watch req;
	struct task_struct *task;
	struct rfd_watch *w;
	struct pid *pid;
	u32 nfds, i;
	long ret;
	int tries;

	if (!rfd_exit_tp)
		return -EOPNOTSUPP;
	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.flags & ~(REMOTEFD_TARGET_PIDFD | REMOTEFD_WATCH_ALL_FDS))
		return -EINVAL;
	if (req.reserved0 || req.reserved[0] || req.reserved[1])
		return -EINVAL;
	if (req.flags & REMOTEFD_WATCH_ALL_FDS) {
		if (req.nfds || req.fds)
			return -EINVAL;
	} else {
		if (!req.nfds)
			return -EINVAL;
		if (req.nfds > REMOTEFD_WATCH_MAX_FDS)
			return -E2BIG;
	}
	nfds = req.nfds;

	w = kzalloc(struct_size(w, fds, nfds), GFP_KERNEL_ACCOUNT);
	if (!w)
		return -ENOMEM;
	INIT_LIST_HEAD(&w->wnode);
	w->watcher = wr;
	w->nfds = nfds;
	w->all_fds = req.flags & REMOTEFD_WATCH_ALL_FDS;
	w->final = kzalloc(sizeof(*w->final), GFP_KERNEL_ACCOUNT);
	if (!w->final) {
		ret = -ENOMEM;
		goto out_free;
	}
	w->final->final = true;
	w->final->fd = -1;

	if (nfds) {
		if (copy_from_user(w->fds, u64_to_user_ptr(req.fds),
				   array_size(nfds, sizeof(s32)))) {
			ret = -EFAULT;
			goto out_free;
		}
		sort(w->fds, nfds, sizeof(s32), rfd_cmp_s32, NULL);
		for (i = 0; i < nfds; i++) {
			if (w->fds[i] < 0) {
				ret = -EBADF;
				goto out_free;
			}
			if (i && w->fds[i] == w->fds[i - 1]) {
				ret = -EINVAL;	/* duplicate */
				goto out_free;
			}
		}
	}

	pid = remotefd_target_pid(req.target, req.flags);
	if (IS_ERR(pid)) {
		ret = PTR_ERR(pid);
		goto out_free;
	}
	task = get_pid_task(pid, PIDTYPE_PID);
	put_pid(pid);
	if (!task) {
		ret = -ESRCH;
		goto out_free;
	}
	if (task->flags & PF_KTHREAD) {
		ret = -EPERM;
		goto out_task;
	}
	w->tgid = get_pid(task_tgid(task));
	w->nr = task_tgid_vnr(task);
	w->final->pid = w->nr;

	mutex_lock(&wr->mutex);
	rfd_prune(wr);
	if (wr->nwatches >= RFD_MAX_WATCHES) {
		ret = -ENOSPC;
	} else {
		for (tries = 0; tries < RFD_RETRIES; tries++) {
			ret = rfd_arm_once(task, w);
			if (ret != -EAGAIN)
				break;
		}
	}
	if (!ret) {
		list_add_tail(&w->wnode, &wr->watches);
		wr->nwatches++;
	}
	mutex_unlock(&wr->mutex);
out_task:
	put_task_struct(task);
	if (!ret)
		return 0;
out_free:
	rfd_watch_free(w);
	return ret;
}

static long rfd_ioctl_unwatch(struct rfd_watcher *wr,
			      struct remotefd_watch __user *uarg)
{
	struct remotefd_watch req;
	struct pid *pid = NULL;
	struct rfd_watch *w;
	long ret = -ENOENT;

	if (!rfd_exit_tp)
		return -EOPNOTSUPP;
	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.flags & ~REMOTEFD_TARGET_PIDFD)
		return -EINVAL;
	if (req.nfds || req.fds || req.reserved0 || req.reserved[0] ||
	    req.reserved[1])
		return -EINVAL;
	if (req.flags & REMOTEFD_TARGET_PIDFD) {
		pid = remotefd_pidfd_pid(req.target);
		if (IS_ERR(pid))
			return PTR_ERR(pid);
	} else if (req.target <= 0) {
		return -EINVAL;
	}

	mutex_lock(&wr->mutex);
	rfd_prune(wr);
	list_for_each_entry(w, &wr->watches, wnode) {
		if (pid ? w->tgid != pid : w->nr != req.target)
			continue;
		if (rfd_watch_disarm(w)) {
			list_del(&w->wnode);
			wr->nwatches--;
			rfd_watch_free(w);
			ret = 0;
		}
		break;
	}
	mutex_unlock(&wr->mutex);
	if (pid)
		put_pid(pid);
	return ret;
}

static void rfd_requeue(struct rfd_watcher *wr, struct rfd_event *ev)
{
	spin_lock(&wr->lock);
	list_add(&ev->node, &wr->queue);
	if (!ev->final)
		wr->nqueued++;
	spin_unlock(&wr->lock);
}

static void rfd_event_free(struct rfd_event *ev)
{
	if (ev->file)
		fput(ev->file);
	kfree(ev);
}

static long rfd_ioctl_collect(struct rfd_watcher *wr,
			      struct remotefd_capture __user *uarg)
{
	struct remotefd_capture c;
	struct rfd_event *ev;
	int ret;

	if (copy_from_user(&c, uarg, sizeof(c)))
		return -EFAULT;
	if (c.fd_flags & ~O_CLOEXEC)
		return -EINVAL;
	if (c.reserved0 || c.reserved[0] || c.reserved[1])
		return -EINVAL;

	spin_lock(&wr->lock);
	ev = list_first_entry_or_null(&wr->queue, struct rfd_event, node);
	if (ev) {
		list_del(&ev->node);
		if (!ev->final)
			wr->nqueued--;
	}
	spin_unlock(&wr->lock);
	if (!ev)
		return -EAGAIN;

	c.pid = ev->pid;
	c.fd = ev->fd;
	c.newfd = -1;
	c.event = ev->type;
	c.count = ev->count;
	c.lost = ev->lost;
	/* Everything but newfd first: also checks that the struct is writable. */
	if (copy_to_user(uarg, &c, sizeof(c))) {
		rfd_requeue(wr, ev);
		return -EFAULT;
	}
	if (ev->file) {
		ret = remotefd_install(ev->file, &uarg->newfd, c.fd_flags);
		if (ret < 0) {
			/* Out of fds: keep the event for a later collect. */
			if (ret == -EMFILE || ret == -ENFILE || ret == -ENOMEM) {
				rfd_requeue(wr, ev);
				return ret;
			}
			rfd_event_free(ev);	/* refused (LSM), or EFAULT */
			return ret;
		}
	}
	rfd_event_free(ev);
	return 0;
}

long remotefd_capture_ioctl(struct file *file, unsigned int cmd,
			    void __user *uarg)
{
	struct rfd_watcher *wr = file->private_data;

	switch (cmd) {
	case REMOTEFD_IOC_WATCH:
		return rfd_ioctl_watch(wr, uarg);
	case REMOTEFD_IOC_UNWATCH:
		return rfd_ioctl_unwatch(wr, uarg);
	case REMOTEFD_IOC_COLLECT:
		return rfd_ioctl_collect(wr, uarg);
	default:
		return -ENOTTY;
	}
}

__poll_t remotefd_capture_poll(struct file *file, poll_table *pt)
{
	struct rfd_watcher *wr = file->private_data;
	bool empty;

	poll_wait(file, &wr->wait, pt);
	spin_lock(&wr->lock);
	empty = list_empty(&wr->queue);
	spin_unlock(&wr->lock);
	return empty ? 0 : EPOLLIN | EPOLLRDNORM;
}

int remotefd_capture_open(struct inode *inode, struct file *file)
{
	struct rfd_watcher *wr;

	wr = kzalloc(sizeof(*wr), GFP_KERNEL_ACCOUNT);
	if (!wr)
		return -ENOMEM;
	spin_lock_init(&wr->lock);
	INIT_LIST_HEAD(&wr->queue);
	init_waitqueue_head(&wr->wait);
	mutex_init(&wr->mutex);
	INIT_LIST_HEAD(&wr->watches);
	file->private_data = wr;
	return 0;
}

int remotefd_capture_release(struct inode *inode, struct file *file)
{
	struct rfd_watcher *wr = file->private_data;
	struct rfd_watch *w, *wtmp;
	struct rfd_event *ev, *etmp;

	/* Once every watch is unhashed, no exit hook can reach wr. */
	list_for_each_entry_safe(w, wtmp, &wr->watches, wnode) {
		rfd_watch_disarm(w);
		list_del(&w->wnode);
		rfd_watch_free(w);
	}
	list_for_each_entry_safe(ev, etmp, &wr->queue, node) {
		list_del(&ev->node);
		rfd_event_free(ev);
	}
	mutex_destroy(&wr->mutex);
	kfree(wr);
	return 0;
}

bool remotefd_capture_available(void)
{
	return rfd_exit_tp;
}

static void rfd_find_tp(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "sched_process_exit"))
		*(struct tracepoint **)priv = tp;
}

/* Failure leaves the module working without REMOTEFD_FEAT_WATCH. */
int remotefd_capture_init(void)
{
	struct tracepoint *tp = NULL;
	int ret;

	BUILD_BUG_ON(sizeof(struct remotefd_watch) != 40);
	BUILD_BUG_ON(offsetof(struct remotefd_watch, fds) != 16);
	BUILD_BUG_ON(sizeof(struct remotefd_capture) != 48);
	BUILD_BUG_ON(offsetof(struct remotefd_capture, reserved) != 32);

	for_each_kernel_tracepoint(rfd_find_tp, &tp);
	if (!tp) {
		pr_warn("no sched_process_exit tracepoint: capture on exit unavailable\n");
		return -ENOENT;
	}
	ret = tracepoint_probe_register(tp, (void *)rfd_exit_probe, NULL);
	if (ret) {
		pr_warn("cannot attach to sched_process_exit (%d): capture on exit unavailable\n",
			ret);
		return ret;
	}
	rfd_exit_tp = tp;
	return 0;
}

/* At unload: every /dev/remotefd file is closed, so no watch is armed. */
void remotefd_capture_exit(void)
{
	if (!rfd_exit_tp)
		return;
	tracepoint_probe_unregister(rfd_exit_tp, (void *)rfd_exit_probe, NULL);
	tracepoint_synchronize_unregister();
	WARN_ON(atomic_read(&rfd_narmed));
	rfd_exit_tp = NULL;
}
