// SPDX-License-Identifier: GPL-2.0-only
/*
 * remotefd capture on exit: REMOTEFD_IOC_WATCH / _UNWATCH / _COLLECT and
 * poll() on /dev/remotefd (see the uapi header for the ABI).
 *
 * Ownership
 *   Each open file of /dev/remotefd has a watcher (file->private_data): its
 *   watches, armed or fired-and-not-yet-collected.  A watch carries every
 *   event it can ever produce, allocated when it is armed and charged to the
 *   caller (GFP_KERNEL_ACCOUNT): one slot per armed fd (REMOTEFD_WATCH_ALL_FDS:
 *   REMOTEFD_WATCH_MAX_FDS slots) and the final event.  A watch counts
 *   against its limits until its final event has been collected.  Closing
 *   the file disarms its watches and fputs every captured file; rmmod is
 *   refused while the file is open (fops owner).
 *
 * Limits (all checked at arm time, ENOSPC)
 *   RFD_MAX_WATCHES per open file, RFD_MAX_PER_TARGET per watched process
 *   (across all watchers), max_watches_per_user (module parameter) per real
 *   uid of the callers (inside a user namespace: per owner of the outermost
 *   one, rfd_charged_uid()).  So one exit does at most RFD_MAX_PER_TARGET *
 *   REMOTEFD_WATCH_MAX_FDS fd lookups, plus, for REMOTEFD_WATCH_ALL_FDS, one
 *   scan of its own open-fd bitmap per such watch.
 *
 * Permission (arm time)
 *   REMOTEFD_IOC_WATCH runs the REMOTEFD_IOC_GETFD check
 *   (remotefd_check_lock(): ptrace_may_access(PTRACE_MODE_ATTACH) with every
 *   LSM hook, as the caller).  Then, under exec_update_lock and task_lock, it
 *   requires task->mm to be the mm that was checked (no exec since the check)
 *   and task->real_cred to be the cred it referenced before the check (no
 *   credential change since), and records in the watch:
 *     - a reference to that real_cred (so the pointer cannot be reused),
 *     - the task's self_exec_id (bumped by every exec),
 *     - the checked mm (mmgrab),
 *     - need_dumpable: the exit must find the process dumpable.  Always
 *       when the caller lacks CAP_SYS_PTRACE over the mm's user namespace
 *       (its check depended on dumpability: ptrace_may_access's exemption),
 *       which depends on the caller only, so a target that turns
 *       non-dumpable while the watch is armed cannot win that race; else
 *       when the process was dumpable when the watch was published (it
 *       "became non-dumpable after arming").
 *
 * Permission (exit time)
 *   The check answered for the target as it was at arm time.  Capturing
 *   later is only the same decision if the target is still that: the exit
 *   hook captures only if the exiting task has the very same real_cred
 *   pointer, the same self_exec_id and, if need_dumpable, a dumpable mm.
 *   Otherwise its final event is REMOTEFD_EVENT_DENIED and nothing is
 *   captured.  This covers exec of a setuid program (new exec id, new cred),
 *   setuid() without exec (new cred), PR_SET_DUMPABLE 0, and the exec of
 *   any other program.  Not re-checked at exit (the watcher's authority is
 *   taken at arm time, like an open /proc/<pid>/mem): a change of the
 *   watcher's own credentials, Yama's ptrace_scope, a PR_SET_PTRACER grant
 *   revoked by the target, the target reparented out of the watcher's
 *   descendants (Yama scope 1), or a change of LSM policy.
 *
 * Exit rule
 *   A watch names a process (its struct pid of type TGID).  It fires once,
 *   in the sched_process_exit tracepoint of the thread that takes the
 *   group's signal->live count to zero (do_exit() decrements it, fully
 *   ordered, before the tracepoint; v6.16+ pass that as group_dead).  The
 *   tracepoint runs on the exiting task (current) before exit_files(), so
 *   current->files is still the process's table and every thread is in
 *   do_exit() (nobody opens or closes fds in it, except a process sharing
 *   the table through CLONE_FILES: the lookups are RCU-safe against that).
 *   Before v6.16 the tracepoint runs after exit_mm(), since v6.16 before it.
 *   Arming publishes the watch, then (full barrier) reads signal->live: if
 *   it is already zero the last thread may be past the tracepoint, so the
 *   arm takes the watch back and fails with ESRCH (or, if the hook claimed it
 *   meanwhile, succeeds: it fired).  Either the hook sees the watch or the
 *   arm sees the count at zero.
 *
 * Exit hook (preemption off; must stay correct on PREEMPT_RT)
 *   Lock-free and allocation-free: an atomic count of armed watches keeps
 *   every other exit to two atomic reads; then an RCU lookup of the watch
 *   hash by struct pid; each watch is claimed by cmpxchg (ARMED -> FIRED;
 *   UNWATCH and close claim ARMED -> DISARMED).  The claimed watch's slots
 *   are filled under RCU from current's table: a bit test of the open-fd
 *   bitmap per armed fd, fget_raw() for the open ones (no files->file_lock,
 *   no scan to max_fds), and it is pushed on a lock-free
 *   list; a work item (process context) unhashes it and moves it to its
 *   watcher's queue, then wakes the watcher.  No spinlock_t, no allocation,
 *   no sleeping lock is taken in the hook: fget_raw, fput (never the last
 *   reference here but in a CLONE_FILES race, and then deferred by the
 *   kernel), llist_add and queue_work are all allowed with preemption
 *   disabled, PREEMPT_RT included.
 *
 * Mappings (REMOTEFD_WATCH_MAPS)
 *   The watch also takes a user reference on the checked mm (mmget) when
 *   armed: exit_mm() then does not tear the address space down, so the
 *   files behind its shared mappings are still there after the hook, on
 *   every kernel (before v6.16 the hook runs after exit_mm()).  The hook
 *   does nothing more for them; rfd_deliver(), in process context, walks
 *   the VMAs under the mmap read lock, references each shared mapping's
 *   file (capturable kinds only, and those that take map_files' capability
 *   only if the watcher had it when arming: GETMAP's rule, target.c) into
 *   the remaining slots, and drops the user reference (mmput_async: the
 *   teardown runs in the mm's own work item).  An exec of the watched
 *   process drops it at once (the sched_process_exec tracepoint): the old
 *   address space is no task's any more, and the exec makes the final
 *   event DENIED anyway, so holding it until the new image exits would pin
 *   memory that no RSS shows and the OOM killer cannot reach.
 *
 * What is captured
 *   Only files that cannot hold references to other open files
 *   (remotefd_file_capturable(), target.c): regular files (memfd, shm, any
 *   filesystem), directories, symlinks (O_PATH), FIFOs and pipes, and
 *   dma-bufs; on pseudo filesystems only pipes, dma-bufs and the kernel's
 *   shmem (memfds), whatever their i_mode says.  Everything else (sockets,
 *   io_uring, /dev/remotefd, other character devices, epoll, pidfds and
 *   other anonymous or pseudo-fs inodes) is reported as
 *   REMOTEFD_EVENT_SKIPPED.  A queued capture holds a
 *   reference to its file; if that file could hold the watcher's own file
 *   (an io_uring with it registered as a fixed file, a unix socket with it
 *   in flight, a /dev/remotefd queue holding it), the cycle would never be
 *   freed and an unprivileged user could pin the module and its memory by
 *   watching itself.  Refusing every kind that can hold files breaks all
 *   such cycles at once.
 *
 * Locking
 *   watcher->mutex (collectors, watch list) -> exec_update_lock -> task_lock
 *   -> rfd_lock (spinlock_t, process context only: hash writers, per-user
 *   counts) ; watcher->lock (spinlock_t: the queue of fired watches; the
 *   wake-up is done under it, so that a collector that saw a watch queued
 *   knows rfd_deliver is done with the watcher) -> the wait queue's lock.
 *   The hooks take none of them.  Lifetime against the hook: a watch is freed
 *   with kfree_rcu() after it has been unhashed; release() disarms, then
 *   synchronize_rcu() (no hook still fills a watch of this watcher) and
 *   flush_work() (every fired watch is on the queue) before freeing.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/binfmts.h>
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/err.h>
#include <linux/fcntl.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hashtable.h>
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/magic.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/pid.h>
#include <linux/poll.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include <linux/uaccess.h>
#include <linux/user_namespace.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include <linux/remotefd.h>	/* kmod/include/uapi/linux/remotefd.h */

#include "compat.h"
#include "remotefd.h"

#define RFD_MAX_WATCHES		256	/* per open file */
#define RFD_MAX_PER_TARGET	16	/* per watched process */
#define RFD_RETRIES		3

static unsigned int max_watches_per_user = 1024;
module_param(max_watches_per_user, uint, 0644);
MODULE_PARM_DESC(max_watches_per_user,
		 "Watches (armed or not yet collected) one real uid may have (default: 1024)");

enum rfd_state { RFD_ARMED, RFD_FIRED, RFD_DISARMED };

/* One armed fd, (ALL_FDS) one fd found at exit, or (MAPS) one mapping. */
struct rfd_slot {
	struct file *file;	/* FILE or MAP, until collected */
	u64 start;		/* MAP: the mapping's range */
	u64 end;
	s32 fd;			/* -1 for MAP */
	u32 type;		/* REMOTEFD_EVENT_*, set at exit */
};

struct rfd_user {
	struct hlist_node node;	/* rfd_users, under rfd_lock */
	kuid_t uid;
	unsigned int nwatches;
};

struct rfd_watcher {
	struct mutex mutex;		/* watches, nwatches, collecting */
	struct list_head watches;	/* every live watch of this file */
	unsigned int nwatches;
	spinlock_t lock;		/* queue */
	struct list_head queue;		/* fired watches, in firing order */
	wait_queue_head_t wait;
};

struct rfd_watch {
	struct hlist_node hnode;	/* rfd_watch_hash (RCU), rfd_lock */
	struct list_head wnode;		/* watcher->watches, its mutex */
	struct list_head qnode;		/* watcher->queue, its lock */
	struct llist_node fnode;	/* rfd_fired: hook -> rfd_deliver */
	struct rcu_head rcu;
	struct rfd_watcher *watcher;
	struct rfd_user *user;
	atomic_t state;			/* enum rfd_state */
	struct pid *tgid;
	pid_t nr;			/* tgid in the watcher's pid namespace */
	const struct cred *cred;	/* the target's real_cred when checked */
	u64 exec_id;			/* its self_exec_id */
	struct mm_struct *mm;		/* the mm checked (mmgrab) */
	bool need_dumpable;		/* caller lacked CAP_SYS_PTRACE over mm */
	bool all_fds;
	bool map_capable;		/* MAPS: the caller had map_files' capability */
	atomic_t mm_users;		/* MAPS: 1 while holding mmget(mm) */
	u32 result;			/* final event: EXIT or DENIED */
	u32 count;			/* FILE slots filled */
	u32 lost;			/* ALL_FDS: fds beyond the slots */
	u32 nev;			/* slots holding an event */
	u32 next;			/* next slot to collect */
	u32 nfdslots;			/* slots for fds: armed fds, sorted */
	u32 nslots;			/* and, with MAPS, for mappings */
	struct rfd_slot slots[];
};

static DEFINE_HASHTABLE(rfd_watch_hash, 10);
static DEFINE_HASHTABLE(rfd_users, 6);
static DEFINE_SPINLOCK(rfd_lock);
static atomic_t rfd_narmed = ATOMIC_INIT(0);
static atomic_t rfd_nmm_users = ATOMIC_INIT(0);	/* watches holding mmget */
static struct tracepoint *rfd_exit_tp;
static struct tracepoint *rfd_exec_tp;

static LLIST_HEAD(rfd_fired);
static void rfd_deliver(struct work_struct *work);
static DECLARE_WORK(rfd_deliver_work, rfd_deliver);

/* ---- exit hook (preemption disabled, no locks, no allocation) ------------ */

/* Takes current's fd @fd into @s. */
static void rfd_take(struct rfd_watch *w, struct rfd_slot *s)
{
	struct file *file = fget_raw(s->fd);

	if (!file) {
		s->type = REMOTEFD_EVENT_NOT_OPEN;
	} else if (!remotefd_file_capturable(file)) {
		fput(file);
		s->type = REMOTEFD_EVENT_SKIPPED;
	} else {
		s->file = file;
		s->type = REMOTEFD_EVENT_FILE;
		w->count++;
	}
}

/* ALL_FDS: every fd open in current's table, up to the slots. */
static void rfd_take_all(struct rfd_watch *w)
{
	struct files_struct *files = current->files;
	struct fdtable *fdt;
	unsigned int fd, max;

	if (!files)
		return;
	rcu_read_lock();
	fdt = files_fdtable(files);
	max = fdt->max_fds;
	for (fd = find_next_bit(fdt->open_fds, max, 0); fd < max;
	     fd = find_next_bit(fdt->open_fds, max, fd + 1)) {
		if (w->nev == w->nfdslots) {
			w->lost++;
			continue;
		}
		w->slots[w->nev].fd = fd;
		rfd_take(w, &w->slots[w->nev]);
		if (w->slots[w->nev].type != REMOTEFD_EVENT_NOT_OPEN)
			w->nev++;	/* closed meanwhile: no event */
	}
	rcu_read_unlock();
}

/*
 * The armed fds: closed ones are told by the open-fd bitmap (a bit test,
 * not a lookup each: 16 watches of 1024 closed fds cost 16 384 bit tests).
 */
static void rfd_take_listed(struct rfd_watch *w)
{
	struct files_struct *files = current->files;
	struct fdtable *fdt;
	struct rfd_slot *s;
	u32 i;

	rcu_read_lock();
	fdt = files ? files_fdtable(files) : NULL;
	for (i = 0; i < w->nfdslots; i++) {
		s = &w->slots[i];
		if (!fdt || s->fd >= fdt->max_fds || !test_bit(s->fd, fdt->open_fds))
			s->type = REMOTEFD_EVENT_NOT_OPEN;
		else
			rfd_take(w, s);
	}
	rcu_read_unlock();
	w->nev = w->nfdslots;
}

static bool rfd_unchanged(struct rfd_watch *w, struct task_struct *p)
{
	if (rcu_access_pointer(p->real_cred) != w->cred)
		return false;
	if (READ_ONCE(p->self_exec_id) != w->exec_id)
		return false;
	if (w->need_dumpable && !remotefd_dumpable(p, w->mm))
		return false;
	return true;
}

/* A claimed watch: fill its events, hand it to rfd_deliver. */
static void rfd_fire(struct rfd_watch *w, struct task_struct *p)
{
	atomic_dec(&rfd_narmed);
	if (!rfd_unchanged(w, p)) {
		w->result = REMOTEFD_EVENT_DENIED;
	} else {
		w->result = REMOTEFD_EVENT_EXIT;
		if (w->all_fds)
			rfd_take_all(w);
		else
			rfd_take_listed(w);
	}
	if (llist_add(&w->fnode, &rfd_fired))
		queue_work(system_unbound_wq, &rfd_deliver_work);
}

/* The last thread of a process is exiting; p == current. */
static void rfd_process_exit(struct task_struct *p)
{
	struct pid *tgid = task_tgid(p);
	struct rfd_watch *w;

	rcu_read_lock();
	hash_for_each_possible_rcu(rfd_watch_hash, w, hnode,
				   (unsigned long)tgid) {
		if (w->tgid != tgid)
			continue;
		if (atomic_cmpxchg(&w->state, RFD_ARMED, RFD_FIRED) == RFD_ARMED)
			rfd_fire(w, p);
	}
	rcu_read_unlock();
}

#if REMOTEFD_EXIT_TP_GROUP_DEAD
static void rfd_exit_probe(void *data, struct task_struct *p, bool group_dead)
{
	if (atomic_read(&rfd_narmed) && group_dead)
		rfd_process_exit(p);
}
#else
static void rfd_exit_probe(void *data, struct task_struct *p)
{
	/* live reached zero: this is the group's last thread (or one of). */
	if (atomic_read(&rfd_narmed) && !atomic_read(&p->signal->live))
		rfd_process_exit(p);
}
#endif

/*
 * MAPS: drops the watch's user reference on the address space, once
 * (whoever wins the exchange).  mmput_async(): callable with preemption off
 * (the exec hook), and the teardown of a large address space runs in the
 * mm's own work item, not in rfd_deliver's, which every release waits for.
 */
static void rfd_put_mm_users(struct rfd_watch *w)
{
	if (atomic_xchg(&w->mm_users, 0)) {
		atomic_dec(&rfd_nmm_users);
		mmput_async(w->mm);
	}
}

/*
 * The process exec'd: the address space a MAPS watch holds is no task's any
 * more (and the exec makes the watch's final event DENIED), so let it go
 * now rather than keep it, out of every RSS and the OOM killer's view, until
 * the new image exits.  p == current, past exec_mmap().
 */
static void rfd_exec_probe(void *data, struct task_struct *p, pid_t old_pid,
			   struct linux_binprm *bprm)
{
	struct pid *tgid = task_tgid(p);
	struct rfd_watch *w;

	if (!atomic_read(&rfd_nmm_users))
		return;
	rcu_read_lock();
	hash_for_each_possible_rcu(rfd_watch_hash, w, hnode,
				   (unsigned long)tgid)
		if (w->tgid == tgid && w->mm != p->mm)
			rfd_put_mm_users(w);
	rcu_read_unlock();
}

/* ---- delivery (process context) ----------------------------------------- */

/* MAPS: the files behind the shared mappings, into the remaining slots. */
static void rfd_take_maps(struct rfd_watch *w)
{
	REMOTEFD_VMA_ITERATOR(vmi, w->mm);
	struct vm_area_struct *vma;
	struct rfd_slot *s;

	mmap_read_lock(w->mm);
	remotefd_for_each_vma(vmi, w->mm, vma) {
		if (!(vma->vm_flags & VM_SHARED) || !vma->vm_file ||
		    !remotefd_file_capturable(vma->vm_file))
			continue;
		/* GETMAP's rule, with the capability the watcher had when arming. */
		if (!w->map_capable && remotefd_map_file_needs_cap(vma->vm_file))
			continue;
		if (w->nev == w->nslots) {
			w->lost++;
			continue;
		}
		s = &w->slots[w->nev++];
		s->file = get_file(vma->vm_file);
		s->fd = -1;
		s->type = REMOTEFD_EVENT_MAP;
		s->start = vma->vm_start;
		s->end = vma->vm_end;
		w->count++;
	}
	mmap_read_unlock(w->mm);
}

static void rfd_deliver(struct work_struct *work)
{
	struct llist_node *fired = llist_reverse_order(llist_del_all(&rfd_fired));
	struct rfd_watcher *wr;
	struct rfd_watch *w, *tmp;

	llist_for_each_entry_safe(w, tmp, fired, fnode) {
		spin_lock(&rfd_lock);
		hash_del_rcu(&w->hnode);
		spin_unlock(&rfd_lock);

		if (atomic_read(&w->mm_users) &&
		    w->result == REMOTEFD_EVENT_EXIT)
			rfd_take_maps(w);
		rfd_put_mm_users(w);

		/*
		 * Woken under the lock: once a collector has seen the watch on
		 * the queue (under this lock), nothing here touches wr again,
		 * so release() after the final COLLECT may free it.
		 */
		wr = w->watcher;
		spin_lock(&wr->lock);
		list_add_tail(&w->qnode, &wr->queue);
		wake_up_interruptible_poll(&wr->wait, EPOLLIN | EPOLLRDNORM);
		spin_unlock(&wr->lock);
	}
}

/* ---- watches (process context) ------------------------------------------- */

/*
 * Whom a watch is charged to: the caller's real uid, or, inside a user
 * namespace, the owner of its outermost one: the ids of a user namespace
 * are the owner's (subordinate ranges included), so a user cannot
 * multiply the limit by the uids it maps.
 */
static kuid_t rfd_charged_uid(void)
{
	const struct user_namespace *ns = current_user_ns();

	if (ns == &init_user_ns)
		return current_uid();
	while (ns->parent != &init_user_ns)
		ns = ns->parent;
	return ns->owner;
}

/* Charges a watch to rfd_charged_uid(); ENOSPC over the limit. */
static int rfd_user_charge(struct rfd_watch *w)
{
	struct rfd_user *u, *fresh;
	kuid_t uid = rfd_charged_uid();
	int ret = 0;

	fresh = kzalloc(sizeof(*fresh), GFP_KERNEL_ACCOUNT);
	if (!fresh)
		return -ENOMEM;
	spin_lock(&rfd_lock);
	hash_for_each_possible(rfd_users, u, node, __kuid_val(uid))
		if (uid_eq(u->uid, uid))
			break;
	if (!u) {
		u = fresh;
		fresh = NULL;
		u->uid = uid;
		hash_add(rfd_users, &u->node, __kuid_val(uid));
	}
	if (u->nwatches >= READ_ONCE(max_watches_per_user)) {
		ret = -ENOSPC;
		if (!u->nwatches) {
			hash_del(&u->node);
			fresh = u;
		}
	} else {
		u->nwatches++;
		w->user = u;
	}
	spin_unlock(&rfd_lock);
	kfree(fresh);
	return ret;
}

static void rfd_user_uncharge(struct rfd_user *u)
{
	spin_lock(&rfd_lock);
	if (--u->nwatches)
		u = NULL;
	else
		hash_del(&u->node);
	spin_unlock(&rfd_lock);
	kfree(u);
}

/* A watch nobody can reach any more: unhashed, not on the fired list. */
static void rfd_watch_free(struct rfd_watch *w)
{
	u32 i;

	for (i = 0; i < w->nslots; i++)
		if (w->slots[i].file)
			fput(w->slots[i].file);
	if (w->user)
		rfd_user_uncharge(w->user);
	if (w->tgid)
		put_pid(w->tgid);
	if (w->cred)
		put_cred(w->cred);
	rfd_put_mm_users(w);
	if (w->mm)
		mmdrop(w->mm);
	/* The hook may still be walking past it in the hash bucket. */
	kvfree_rcu(w, rcu);
}

/* Claims an armed watch back from the hook; true if it was still armed. */
static bool rfd_watch_disarm(struct rfd_watch *w)
{
	if (atomic_cmpxchg(&w->state, RFD_ARMED, RFD_DISARMED) != RFD_ARMED)
		return false;
	atomic_dec(&rfd_narmed);
	spin_lock(&rfd_lock);
	hash_del_rcu(&w->hnode);
	spin_unlock(&rfd_lock);
	return true;
}

/* Armed watches of @tgid, all watchers.  Under rfd_lock. */
static unsigned int rfd_target_watches(struct pid *tgid)
{
	struct rfd_watch *o;
	unsigned int n = 0;

	hash_for_each_possible(rfd_watch_hash, o, hnode, (unsigned long)tgid)
		if (o->tgid == tgid && atomic_read(&o->state) == RFD_ARMED)
			n++;
	return n;
}

/*
 * Hashes @w for @task unless it is refused: ESRCH (the group is already
 * dying), ENOSPC (per-target limit), EEXIST (this watcher has one).  Called
 * under task_lock once the permission check stands.
 */
static int rfd_publish(struct rfd_watch *w, struct task_struct *task)
{
	struct rfd_watch *o;

	spin_lock(&rfd_lock);
	hash_for_each_possible(rfd_watch_hash, o, hnode, (unsigned long)w->tgid) {
		if (o->tgid == w->tgid && o->watcher == w->watcher &&
		    atomic_read(&o->state) == RFD_ARMED) {
			spin_unlock(&rfd_lock);
			return -EEXIST;
		}
	}
	if (rfd_target_watches(w->tgid) >= RFD_MAX_PER_TARGET) {
		spin_unlock(&rfd_lock);
		return -ENOSPC;
	}
	atomic_set(&w->state, RFD_ARMED);
	hash_add_rcu(rfd_watch_hash, &w->hnode, (unsigned long)w->tgid);
	atomic_inc(&rfd_narmed);
	spin_unlock(&rfd_lock);

	/* Pairs with the fully ordered signal->live decrement in do_exit(). */
	smp_mb();
	if (!atomic_read(&task->signal->live) && rfd_watch_disarm(w))
		return -ESRCH;	/* its last thread may be past the hook */
	return 0;		/* armed, or already fired: it will report */
}

/*
 * One attempt: the GETFD permission check, then, under exec_update_lock and
 * task_lock, record what was checked and publish the watch.  -EAGAIN when
 * the target exec'd or changed credentials in between.
 */
static int rfd_arm_once(struct task_struct *task, struct rfd_watch *w)
{
	const struct cred *cred;
	struct mm_struct *mm;
	struct file *mem;
	bool privileged, maps;
	int ret;

	cred = get_task_cred(task);
	mem = remotefd_check_lock(task);
	if (IS_ERR(mem)) {
		ret = PTR_ERR(mem);
		goto out_cred;
	}
	mm = mem->private_data;		/* the checked mm, pinned by mem */
	/* ptrace_may_access()'s exemption from dumpability: the caller's. */
	privileged = ns_capable_noaudit(remotefd_task_user_ns(task, mm),
					 CAP_SYS_PTRACE);
	maps = w->nslots > w->nfdslots;
	/* The watcher's authority is taken now, map_files' capability too. */
	w->map_capable = maps && remotefd_map_capable(false);

	task_lock(task);
	if (!task->mm) {
		ret = -ESRCH;		/* exited meanwhile */
	} else if (task->mm != mm ||
		   rcu_access_pointer(task->real_cred) != cred) {
		ret = -EAGAIN;		/* exec'd or new creds meanwhile */
	} else {
		/* From here @w owns them; rfd_watch_free() puts them. */
		w->exec_id = task->self_exec_id;
		w->need_dumpable = !privileged || remotefd_dumpable(task, mm);
		w->cred = cred;
		cred = NULL;
		mmgrab(mm);
		w->mm = mm;
		if (maps) {
			/* The address space must outlive exit_mm(). */
			mmget(mm);	/* task->mm: not torn down yet */
			atomic_set(&w->mm_users, 1);
			atomic_inc(&rfd_nmm_users);
		}
		ret = rfd_publish(w, task);
	}
	task_unlock(task);
	remotefd_check_unlock(task, mem);
out_cred:
	if (cred)
		put_cred(cred);
	return ret;
}

static int rfd_cmp_slot(const void *a, const void *b)
{
	s32 x = ((const struct rfd_slot *)a)->fd;
	s32 y = ((const struct rfd_slot *)b)->fd;

	return x < y ? -1 : x > y;
}

/* Copies, sorts and checks the armed fd numbers into the slots. */
static int rfd_read_fds(struct rfd_watch *w, u64 ufds)
{
	s32 __user *p = u64_to_user_ptr(ufds);
	u32 i;

	for (i = 0; i < w->nfdslots; i++)
		if (get_user(w->slots[i].fd, p + i))
			return -EFAULT;
	sort(w->slots, w->nfdslots, sizeof(w->slots[0]), rfd_cmp_slot, NULL);
	for (i = 0; i < w->nfdslots; i++) {
		if (w->slots[i].fd < 0)
			return -EBADF;
		if (i && w->slots[i].fd == w->slots[i - 1].fd)
			return -EINVAL;	/* duplicate */
	}
	return 0;
}

static struct rfd_watch *rfd_watch_alloc(struct rfd_watcher *wr,
					 const struct remotefd_watch *req)
{
	bool all = req->flags & REMOTEFD_WATCH_ALL_FDS;
	bool maps = req->flags & REMOTEFD_WATCH_MAPS;
	u32 nfdslots = all ? REMOTEFD_WATCH_MAX_FDS : req->nfds;
	u32 nslots = nfdslots + (maps ? REMOTEFD_WATCH_MAX_FDS : 0);
	struct rfd_watch *w;
	int ret;

	w = kvzalloc(struct_size(w, slots, nslots), GFP_KERNEL_ACCOUNT);
	if (!w)
		return ERR_PTR(-ENOMEM);
	INIT_LIST_HEAD(&w->wnode);
	INIT_LIST_HEAD(&w->qnode);
	atomic_set(&w->state, RFD_DISARMED);
	w->watcher = wr;
	w->all_fds = all;
	w->nfdslots = nfdslots;
	w->nslots = nslots;
	if (!all) {
		ret = rfd_read_fds(w, req->fds);
		if (ret) {
			kvfree(w);
			return ERR_PTR(ret);
		}
	}
	return w;
}

static long rfd_check_watch_req(const struct remotefd_watch *req)
{
	if (req->flags & ~(REMOTEFD_TARGET_PIDFD | REMOTEFD_WATCH_ALL_FDS |
			   REMOTEFD_WATCH_MAPS))
		return -EINVAL;
	if (req->reserved0 || req->reserved[0] || req->reserved[1])
		return -EINVAL;
	if (req->flags & REMOTEFD_WATCH_ALL_FDS)
		return req->nfds || req->fds ? -EINVAL : 0;
	if (!req->nfds)	/* MAPS alone: nothing else, else nothing at all */
		return req->flags & REMOTEFD_WATCH_MAPS && !req->fds ? 0 : -EINVAL;
	if (req->nfds > REMOTEFD_WATCH_MAX_FDS)
		return -E2BIG;
	return 0;
}

static long rfd_ioctl_watch(struct rfd_watcher *wr,
			    struct remotefd_watch __user *uarg)
{
	struct remotefd_watch req;
	struct task_struct *task;
	struct rfd_watch *w;
	long ret;
	int tries;

	if (!rfd_exit_tp)
		return -EOPNOTSUPP;
	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	ret = rfd_check_watch_req(&req);
	if (ret)
		return ret;

	w = rfd_watch_alloc(wr, &req);
	if (IS_ERR(w))
		return PTR_ERR(w);

	task = remotefd_target_task(req.target, req.flags);
	if (IS_ERR(task)) {
		ret = PTR_ERR(task);
		goto out_free;
	}
	w->tgid = get_pid(task_tgid(task));
	w->nr = task_tgid_vnr(task);

	ret = rfd_user_charge(w);
	if (ret)
		goto out_task;

	mutex_lock(&wr->mutex);
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
	list_for_each_entry(w, &wr->watches, wnode) {
		if (pid ? w->tgid != pid : w->nr != req.target)
			continue;
		if (rfd_watch_disarm(w)) {
			list_del(&w->wnode);
			wr->nwatches--;
			rfd_watch_free(w);
			ret = 0;
			break;
		}
		/* fired: it stays until its final event is collected */
	}
	mutex_unlock(&wr->mutex);
	if (pid)
		put_pid(pid);
	return ret;
}

/* The event at the head of the queue, into @c; its file, if any. */
static struct rfd_watch *rfd_peek(struct rfd_watcher *wr,
				  struct remotefd_capture *c,
				  struct file **filep)
{
	struct rfd_watch *w;
	struct rfd_slot *s;

	spin_lock(&wr->lock);
	w = list_first_entry_or_null(&wr->queue, struct rfd_watch, qnode);
	spin_unlock(&wr->lock);
	if (!w)
		return NULL;

	c->pid = w->nr;
	c->newfd = -1;
	c->count = 0;
	c->lost = 0;
	c->map_start = 0;
	c->map_end = 0;
	*filep = NULL;
	if (w->next < w->nev) {
		s = &w->slots[w->next];
		c->fd = s->fd;
		c->event = s->type;
		c->map_start = s->start;
		c->map_end = s->end;
		*filep = s->file;
	} else {
		c->fd = -1;
		c->event = w->result;
		c->count = w->count;
		c->lost = w->lost;
	}
	return w;
}

/* The head event was delivered (or refused for good): drop it. */
static void rfd_consume(struct rfd_watcher *wr, struct rfd_watch *w)
{
	struct rfd_slot *s;

	if (w->next < w->nev) {
		s = &w->slots[w->next++];
		if (s->file) {
			fput(s->file);
			s->file = NULL;
		}
		return;
	}
	/* The final event: the watch is done. */
	spin_lock(&wr->lock);
	list_del(&w->qnode);
	spin_unlock(&wr->lock);
	list_del(&w->wnode);
	wr->nwatches--;
	rfd_watch_free(w);
}

static long rfd_ioctl_collect(struct rfd_watcher *wr,
			      struct remotefd_capture __user *uarg)
{
	struct remotefd_capture c;
	struct rfd_watch *w;
	struct file *file;
	long ret = 0;

	if (copy_from_user(&c, uarg, sizeof(c)))
		return -EFAULT;
	if (c.fd_flags & ~O_CLOEXEC)
		return -EINVAL;
	if (c.reserved0 || c.map_start || c.map_end)
		return -EINVAL;

	mutex_lock(&wr->mutex);
	w = rfd_peek(wr, &c, &file);
	if (!w) {
		ret = -EAGAIN;
		goto out;
	}
	/* Everything but newfd first: also checks that the struct is writable. */
	if (copy_to_user(uarg, &c, sizeof(c))) {
		ret = -EFAULT;		/* nothing consumed */
		goto out;
	}
	if (file) {
		ret = remotefd_install(file, &uarg->newfd, c.fd_flags);
		if (ret == -EMFILE || ret == -ENFILE || ret == -ENOMEM ||
		    ret == -EFAULT)
			goto out;	/* no fd installed; keep the event */
	}
	/* Installed, or refused for good (an LSM): the event is done. */
	rfd_consume(wr, w);
	ret = ret < 0 ? ret : 0;
out:
	mutex_unlock(&wr->mutex);
	return ret;
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
	mutex_init(&wr->mutex);
	INIT_LIST_HEAD(&wr->watches);
	spin_lock_init(&wr->lock);
	INIT_LIST_HEAD(&wr->queue);
	init_waitqueue_head(&wr->wait);
	file->private_data = wr;
	return 0;
}

int remotefd_capture_release(struct inode *inode, struct file *file)
{
	struct rfd_watcher *wr = file->private_data;
	struct rfd_watch *w, *tmp;

	if (!list_empty(&wr->watches)) {
		list_for_each_entry(w, &wr->watches, wnode)
			rfd_watch_disarm(w);
		/* Hooks that claimed one have pushed it; deliver it too. */
		synchronize_rcu();
		flush_work(&rfd_deliver_work);
	}
	/* Every watch is now unhashed, idle, and queued if it fired. */
	list_for_each_entry_safe(w, tmp, &wr->watches, wnode) {
		list_del(&w->wnode);
		rfd_watch_free(w);
	}
	mutex_destroy(&wr->mutex);
	kfree(wr);
	return 0;
}

bool remotefd_capture_available(void)
{
	return rfd_exit_tp;
}

struct rfd_tps {
	struct tracepoint *exit;
	struct tracepoint *exec;
};

static void rfd_find_tp(struct tracepoint *tp, void *priv)
{
	struct rfd_tps *tps = priv;

	if (!strcmp(tp->name, "sched_process_exit"))
		tps->exit = tp;
	else if (!strcmp(tp->name, "sched_process_exec"))
		tps->exec = tp;
}

/* Failure leaves the module working without REMOTEFD_FEAT_WATCH. */
int remotefd_capture_init(void)
{
	struct rfd_tps tps = {};
	int ret;

	BUILD_BUG_ON(sizeof(struct remotefd_watch) != 40);
	BUILD_BUG_ON(offsetof(struct remotefd_watch, fds) != 16);
	BUILD_BUG_ON(sizeof(struct remotefd_capture) != 48);
	BUILD_BUG_ON(offsetof(struct remotefd_capture, map_start) != 32);

	for_each_kernel_tracepoint(rfd_find_tp, &tps);
	if (!tps.exit || !tps.exec) {
		pr_warn("no sched_process_exit/exec tracepoint: capture on exit unavailable\n");
		return -ENOENT;
	}
	/* The probes have the tracepoints' exact prototypes (kCFI). */
	ret = tracepoint_probe_register(tps.exec, rfd_exec_probe, NULL);
	if (ret)
		goto err;
	ret = tracepoint_probe_register(tps.exit, rfd_exit_probe, NULL);
	if (ret) {
		tracepoint_probe_unregister(tps.exec, rfd_exec_probe, NULL);
		tracepoint_synchronize_unregister();
		goto err;
	}
	rfd_exec_tp = tps.exec;
	rfd_exit_tp = tps.exit;
	return 0;
err:
	pr_warn("cannot attach to sched_process_exit/exec (%d): capture on exit unavailable\n",
		ret);
	return ret;
}

/* At unload: every /dev/remotefd file is closed, so no watch is armed. */
void remotefd_capture_exit(void)
{
	if (!rfd_exit_tp)
		return;
	tracepoint_probe_unregister(rfd_exit_tp, rfd_exit_probe, NULL);
	tracepoint_probe_unregister(rfd_exec_tp, rfd_exec_probe, NULL);
	tracepoint_synchronize_unregister();
	flush_work(&rfd_deliver_work);
	WARN_ON(atomic_read(&rfd_narmed));
	rfd_exit_tp = NULL;
}
