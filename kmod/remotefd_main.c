// SPDX-License-Identifier: GPL-2.0
/*
 * remotefd: adopt a file another process holds, knowing its pid (or a
 * pidfd) and the fd number, with the permission check of pidfd_getfd(2).
 *
 * Interfaces
 *   /dev/remotefd   REMOTEFD_IOC_INFO, REMOTEFD_IOC_GETFD (see the uapi header);
 *                   REMOTEFD_IOC_ATTACH: a target handle, checked once, for
 *                   fast, batch adoption and inventory (handle.c);
 *                   REMOTEFD_IOC_GETMAP: the file behind a mapping
 *                   (mapping.c);
 *                   REMOTEFD_IOC_WATCH/UNWATCH/COLLECT and poll(): capture
 *                   on exit, in capture.c (its header comment: permission
 *                   at arm and exit time, exit rule, locking)
 *   /proc/remotefd  the original module's ioctl, kept for existing clients
 *                   (module parameter legacy_proc=0 removes it)
 *
 * Both device nodes may be world-accessible: every request is checked
 * against its target, exactly like pidfd_getfd(2).
 *
 * Permission check
 *   pidfd_getfd(2) requires ptrace_may_access(task,
 *   PTRACE_MODE_ATTACH_REALCREDS), which is not exported to modules.
 *   Calling it through a kprobe-resolved address would work on CPUs without
 *   indirect branch tracking only: on IBT kernels (Debian 6.12 has
 *   CONFIG_X86_KERNEL_IBT=y) unexported functions are sealed (no ENDBR64)
 *   and an indirect call to them raises #CP.  So the check is done by
 *   opening /proc/<pid>/mem as the caller: its open runs
 *   mm_access(task, PTRACE_MODE_ATTACH_FSCREDS), i.e. ptrace_may_access()
 *   with every LSM hook (Yama included).  Differences from pidfd_getfd:
 *   - FSCREDS instead of REALCREDS: we open with the caller's credentials
 *     copied and fsuid/fsgid set to the real uid/gid, so the uid/gid
 *     comparisons are the REALCREDS ones.  commoncap compares the target's
 *     permitted capabilities with the caller's effective set (instead of the
 *     permitted set) in FSCREDS mode: that can only refuse more, never allow
 *     more.
 *   - the denial is EACCES: mapped to EPERM, pidfd_getfd's answer.
 *   - mm_access allows a caller that shares the target's mm (CLONE_VM):
 *     such a caller already controls the target's memory.
 *   The open uses a private kernel mount of procfs (not the caller's /proc,
 *   which a user namespace could replace with anything), and skips the
 *   DAC check of the mem inode as ptrace_may_access does.  Tasks without an
 *   mm (kernel threads, zombies, exiting tasks) are refused explicitly.
 *
 * Races
 *   The check cannot run under exec_update_lock (mm_access takes it), so it
 *   runs first, then the fd is looked up under the lock.  In between, the
 *   target may exec (new credentials, new mm) or die and have its pid
 *   reused.  We hold a reference on the task_struct for the whole request
 *   (so "the task" never changes) and the open mem file pins (mmgrab) the
 *   mm that was checked.  Under exec_update_lock + task_lock we require
 *   task->mm == the checked mm: an exec in between replaces the mm (retry,
 *   up to REMOTEFD_RETRIES times, then EAGAIN); a death leaves no mm
 *   (ESRCH); a reused pid number resolves /proc/<nr> to another task whose
 *   mm is not ours (the retry then finds our task dead: ESRCH).  The pinned
 *   mm cannot be freed and reused at the same address meanwhile.  Changing
 *   credentials without exec (setuid) is not serialised by pidfd_getfd
 *   either.
 *
 * Lookup
 *   get_pid_task -> /proc/<pid>/mem check (no locks held) ->
 *   down_read_killable(exec_update_lock) -> task_lock -> mm comparison ->
 *   files_lookup_fd_locked() under files->file_lock (a direct O(1) lookup,
 *   whatever the size of the table) and get_file() -> task_unlock ->
 *   up_read -> receive_fd() with no lock held (runs security_file_receive)
 *   -> fput.  Exported symbols and header inlines only; no copy of the RCU
 *   fd-table internals.
 *
 *   Opt-in (kprobe_lookup=1): the original module's technique, resolving the
 *   unexported fget_task() with a temporary kprobe.  Refused on CPUs that
 *   enforce IBT.  The permission check is the same.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/compat.h>
#include <linux/cred.h>
#include <linux/err.h>
#include <linux/fcntl.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kprobes.h>
#include <linux/magic.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/namei.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/proc_fs.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#ifdef CONFIG_X86
#include <asm/cpufeature.h>
#include <asm/msr.h>
#endif

#include <linux/remotefd.h>	/* kmod/include/uapi/linux/remotefd.h */

#include "compat.h"
#include "remotefd.h"

#ifndef PID_FS_MAGIC
#define PID_FS_MAGIC	0x50494446	/* pidfs, v6.9+ */
#endif

#define REMOTEFD_RETRIES	3

/*
 * Off by default: /proc/remotefd shows in every procfs instance, containers
 * included, where device-cgroup rules do not reach it (kmod/README.md).
 */
static bool legacy_proc;
module_param(legacy_proc, bool, 0444);
MODULE_PARM_DESC(legacy_proc, "Register /proc/remotefd, the original module's ABI, in every procfs instance (default: 0)");

static bool kprobe_lookup;
module_param(kprobe_lookup, bool, 0444);
MODULE_PARM_DESC(kprobe_lookup, "Look fds up through fget_task resolved with a temporary kprobe (default: 0; refused on IBT CPUs)");

/* Private procfs instance for the permission check, and its pid namespace. */
static struct vfsmount *remotefd_procmnt;
static struct pid_namespace *remotefd_proc_ns;
static bool remotefd_legacy_registered;

/* World-writable on purpose: each request is checked against its target. */
static const umode_t remotefd_legacy_mode = 0666;

typedef struct file *(*remotefd_fget_task_t)(struct task_struct *task,
					      unsigned int fd);
static remotefd_fget_task_t remotefd_fget_task;

/*
 * Open /proc/<task>/mem on the private procfs mount with the caller's
 * credentials (fsuid/fsgid replaced by the real ids).  Must be called with no
 * lock held: the open takes exec_update_lock itself.
 */
static struct file *remotefd_open_mem(struct task_struct *task)
{
	const struct cred *old = NULL;
	struct cred *creds = NULL;
	struct file *mem;
	struct path path;
	char name[32];
	pid_t nr;
	int ret;

	nr = task_pid_nr_ns(task, remotefd_proc_ns);
	if (!nr)
		return ERR_PTR(-ESRCH);	/* gone, or invisible from that ns */
	snprintf(name, sizeof(name), "%d/mem", nr);

	if (!uid_eq(current_fsuid(), current_uid()) ||
	    !gid_eq(current_fsgid(), current_gid())) {
		creds = prepare_creds();
		if (!creds)
			return ERR_PTR(-ENOMEM);
		creds->fsuid = creds->uid;
		creds->fsgid = creds->gid;
		old = override_creds(creds);
	}

	ret = vfs_path_lookup(remotefd_procmnt->mnt_root, remotefd_procmnt,
			      name, 0, &path);
	if (ret) {
		/*
		 * procfs answers ENOENT for a task that is gone, and also when
		 * it cannot allocate the inode of a live one
		 * (proc_pid_instantiate): ENOMEM then, not ESRCH.
		 */
		if (ret == -ENOENT)
			ret = pid_alive(task) ? -ENOMEM : -ESRCH;
		mem = ERR_PTR(ret);
	} else {
		/* dentry_open: no DAC check of the inode, only mem_open's. */
		mem = dentry_open(&path, O_RDONLY, current_cred());
		path_put(&path);
	}

	if (creds) {
		revert_creds(old);
		put_cred(creds);
	}

	if (IS_ERR(mem) && PTR_ERR(mem) == -EACCES)
		return ERR_PTR(-EPERM);	/* pidfd_getfd's errno */
	return mem;
}

/*
 * fd @fd of @files, referenced; NULL if not open.  A direct lookup under
 * files->file_lock: O(1) whatever the size of the table (iterate_fd() would
 * scan from @fd to the next open fd, up to max_fds).
 */
struct file *remotefd_fget_files(struct files_struct *files, unsigned int fd)
{
	struct file *file;

	spin_lock(&files->file_lock);
	file = remotefd_files_lookup_locked(files, fd);
	if (file)
		get_file(file);
	spin_unlock(&files->file_lock);
	return file;
}

/*
 * The permission check (remotefd_open_mem, with no lock held), then
 * exec_update_lock for reading.  Returns the open mem file, whose
 * private_data is the mm that was checked (pinned until the file is put),
 * with the lock held; or an ERR_PTR with nothing held.  Callers compare
 * task->mm with the checked mm under task_lock (an exec in between replaced
 * it), then call remotefd_check_unlock().
 */
struct file *remotefd_check_lock(struct task_struct *task)
{
	struct file *mem;
	int ret;

	mem = remotefd_open_mem(task);
	if (IS_ERR(mem))
		return mem;
	/* fs/proc/base.c __mem_open(): private_data is the mm, mmgrab'ed. */
	if (!mem->private_data) {	/* v6.1 opens mem of an mm-less task */
		ret = -ESRCH;
		goto out_mem;
	}
	ret = down_read_killable(&task->signal->exec_update_lock);
	if (!ret)
		return mem;
out_mem:
	fput(mem);
	return ERR_PTR(ret);
}

void remotefd_check_unlock(struct task_struct *task, struct file *mem)
{
	up_read(&task->signal->exec_update_lock);
	fput(mem);
}

/*
 * One attempt: permission check, then the lookup under exec_update_lock.
 * Returns 0 with *filep referenced, or -errno; -EAGAIN when the target
 * exec'd between the check and the lookup.
 */
static int remotefd_lookup_once(struct task_struct *task, unsigned int fd,
				struct file **filep)
{
	struct mm_struct *checked_mm;
	struct file *file = NULL;
	struct file *mem;
	bool mm_ok;
	int ret = 0;

	mem = remotefd_check_lock(task);
	if (IS_ERR(mem))
		return PTR_ERR(mem);
	checked_mm = mem->private_data;

	task_lock(task);
	mm_ok = task->mm == checked_mm;
	if (!task->mm)
		ret = -ESRCH;		/* exited meanwhile */
	else if (!mm_ok)
		ret = -EAGAIN;		/* exec'd meanwhile */
	else if (!remotefd_fget_task && task->files)
		file = remotefd_fget_files(task->files, fd);
	task_unlock(task);

	/* kprobe mode: fget_task() takes task_lock itself. */
	if (mm_ok && remotefd_fget_task)
		file = remotefd_fget_task(task, fd);

	remotefd_check_unlock(task, mem);

	if (!ret && !file)
		ret = -EBADF;
	if (!ret)
		*filep = file;
	return ret;
}

/*
 * Installs a new reference to @file in the caller's table and returns its
 * number, also stored at @ufd when given.  On any error no fd is left
 * installed: the caller never holds an fd it cannot name.
 */
int remotefd_install(struct file *file, int __user *ufd, unsigned int o_flags)
{
#if REMOTEFD_RECEIVE_FD_UFD
	/* v6.8+: stores the number before installing the fd. */
	return receive_fd(file, ufd, o_flags);
#elif REMOTEFD_HAVE_RECEIVE_FD
	int fd = receive_fd(file, o_flags);

	/* Installed first (no exported variant stores it first): take it back. */
	if (fd >= 0 && ufd && put_user(fd, ufd)) {
		close_fd(fd);
		return -EFAULT;
	}
	return fd;
#else
	/*
	 * v5.10 exports no receive_fd(): security_file_receive() is not run
	 * (REMOTEFD_FEAT_NO_RECEIVE_HOOK says so).
	 */
	int fd = get_unused_fd_flags(o_flags);

	if (fd < 0)
		return fd;
	if (ufd && put_user(fd, ufd)) {
		put_unused_fd(fd);
		return -EFAULT;
	}
	fd_install(fd, get_file(file));
	return fd;
#endif
}

/* Adopt fd @fd of @task into the caller's table; returns the new fd. */
static int remotefd_adopt(struct task_struct *task, int fd,
			  unsigned int o_flags, int __user *ufd)
{
	struct file *file = NULL;
	int ret, tries;

	if (fd < 0)
		return -EBADF;
	for (tries = 0; tries < REMOTEFD_RETRIES; tries++) {
		ret = remotefd_lookup_once(task, fd, &file);
		if (ret != -EAGAIN)
			break;
	}
	if (ret)
		return ret;
	ret = remotefd_install(file, ufd, o_flags);
	fput(file);
	return ret;
}

/* The struct pid behind a pidfd (pidfd_pid() is not exported). */
struct pid *remotefd_pidfd_pid(int pidfd)
{
	struct pid *pid = ERR_PTR(-EBADF);
	struct super_block *sb;
	struct file *f;

	f = fget(pidfd);
	if (!f)
		return ERR_PTR(-EBADF);

	sb = file_inode(f)->i_sb;
	if (sb->s_magic == PID_FS_MAGIC) {
		/* v6.9+: pidfs, the pid is the inode's i_private */
		if (file_inode(f)->i_private)
			pid = get_pid(file_inode(f)->i_private);
	} else if (sb->s_magic == ANON_INODE_FS_MAGIC &&
		   !strcmp((const char *)f->f_path.dentry->d_name.name,
			   "[pidfd]")) {
		/*
		 * Before pidfs: anon_inode_getfile("[pidfd]", &pidfd_fops, pid),
		 * the only anonymous inode file the kernel names "[pidfd]".
		 */
		if (f->private_data)
			pid = get_pid(f->private_data);
	}
	fput(f);
	return pid;
}

/* The struct pid a request names: a pid, or a pidfd with REMOTEFD_TARGET_PIDFD. */
static struct pid *remotefd_target_pid(s32 target, u32 flags)
{
	struct pid *pid;

	if (flags & REMOTEFD_TARGET_PIDFD)
		return remotefd_pidfd_pid(target);
	if (target <= 0)
		return ERR_PTR(-EINVAL);	/* as pidfd_open(2) */
	pid = find_get_pid(target);
	return pid ? pid : ERR_PTR(-ESRCH);
}

/*
 * The task a request names (GETFD, WATCH, ATTACH, GETMAP), referenced; or
 * EINVAL, EBADF (not a pidfd), ESRCH, and EPERM for a kernel thread.
 */
struct task_struct *remotefd_target_task(s32 target, u32 flags)
{
	struct task_struct *task;
	struct pid *pid;

	pid = remotefd_target_pid(target, flags);
	if (IS_ERR(pid))
		return ERR_CAST(pid);
	task = get_pid_task(pid, PIDTYPE_PID);
	put_pid(pid);
	if (!task)
		return ERR_PTR(-ESRCH);
	if (task->flags & PF_KTHREAD) {
		put_task_struct(task);
		return ERR_PTR(-EPERM);
	}
	return task;
}

static long remotefd_ioctl_getfd(struct remotefd_getfd __user *uarg)
{
	struct remotefd_getfd req;
	struct task_struct *task;
	long ret;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.flags & ~REMOTEFD_TARGET_PIDFD)
		return -EINVAL;
	if (req.fd_flags & ~O_CLOEXEC)
		return -EINVAL;
	if (req.reserved[0] || req.reserved[1])
		return -EINVAL;
	if (req.fd < 0)
		return -EBADF;

	task = remotefd_target_task(req.target, req.flags);
	if (IS_ERR(task))
		return PTR_ERR(task);
	ret = remotefd_adopt(task, req.fd, req.fd_flags, NULL);
	put_task_struct(task);
	return ret;
}

static long remotefd_ioctl_info(struct remotefd_info __user *uarg)
{
	struct remotefd_info info;

	memset(&info, 0, sizeof(info));
	info.abi_version = REMOTEFD_ABI_VERSION;
	info.features = REMOTEFD_FEAT_PIDFD | REMOTEFD_FEAT_HANDLE |
			 REMOTEFD_FEAT_GETMAP;
	if (remotefd_legacy_registered)
		info.features |= REMOTEFD_FEAT_LEGACY_PROC;
	if (remotefd_fget_task)
		info.features |= REMOTEFD_FEAT_KPROBE_LOOKUP;
	if (remotefd_capture_available())
		info.features |= REMOTEFD_FEAT_WATCH;
	if (!REMOTEFD_HAVE_RECEIVE_FD)
		info.features |= REMOTEFD_FEAT_NO_RECEIVE_HOOK;
	if (copy_to_user(uarg, &info, sizeof(info)))
		return -EFAULT;
	return 0;
}

static long remotefd_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case REMOTEFD_IOC_INFO:
		return remotefd_ioctl_info(uarg);
	case REMOTEFD_IOC_GETFD:
		return remotefd_ioctl_getfd(uarg);
	case REMOTEFD_IOC_ATTACH:
		return remotefd_ioctl_attach(uarg);
	case REMOTEFD_IOC_GETMAP:
		return remotefd_ioctl_getmap(uarg);
	case REMOTEFD_IOC_WATCH:
	case REMOTEFD_IOC_UNWATCH:
	case REMOTEFD_IOC_COLLECT:
		return remotefd_capture_ioctl(file, cmd, uarg);
	default:
		return -ENOTTY;
	}
}

const struct file_operations remotefd_fops = {
	.owner		= THIS_MODULE,	/* pins the module while open */
	.open		= remotefd_capture_open,	/* per-file watcher */
	.release	= remotefd_capture_release,
	.poll		= remotefd_capture_poll,
	.unlocked_ioctl	= remotefd_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,	/* same layout for 32-bit */
	.llseek		= noop_llseek,
};

static struct miscdevice remotefd_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= REMOTEFD_DEVICE_NAME,
	.fops	= &remotefd_fops,
	.mode	= 0666,
};

/*
 * /proc/remotefd: the original ABI.  Same observable behaviour for an
 * allowed caller (ioctl returns 0, o_fd is the new O_CLOEXEC fd); o_fd = -1
 * whenever the fd cannot be had, with the same checks as REMOTEFD_IOC_GETFD.
 */
static long remotefd_legacy_ioctl(struct file *file, unsigned int cmd,
				  unsigned long arg)
{
	struct remotefd_legacy_args __user *uarg = (void __user *)arg;
	struct remotefd_legacy_args args;
	struct task_struct *task;
	int fd = -1;

	if (cmd != REMOTEFD_LEGACY_IOC)
		return -ENOTTY;
	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	/* Fails early on a read-only buffer, before an fd is installed. */
	if (put_user(-1, &uarg->o_fd))
		return -EFAULT;

	if (args.i_fd >= 0) {
		task = remotefd_target_task(args.i_pid, 0);
		if (!IS_ERR(task)) {
			fd = remotefd_adopt(task, args.i_fd, O_CLOEXEC,
					    &uarg->o_fd);
			put_task_struct(task);
		}
	}
	if (fd == -EFAULT)
		return -EFAULT;
	return 0;
}

#ifdef CONFIG_COMPAT
static long remotefd_legacy_compat_ioctl(struct file *file, unsigned int cmd,
					 unsigned long arg)
{
	return remotefd_legacy_ioctl(file, cmd,
				     (unsigned long)compat_ptr(arg));
}
#endif

static const struct proc_ops remotefd_legacy_ops = {
	.proc_ioctl		= remotefd_legacy_ioctl,
#ifdef CONFIG_COMPAT
	.proc_compat_ioctl	= remotefd_legacy_compat_ioctl,
#endif
	.proc_lseek		= noop_llseek,
};

/* Is indirect branch tracking enforced in the kernel on this CPU? */
static bool remotefd_ibt_enforced(void)
{
#if defined(CONFIG_X86) && defined(X86_FEATURE_IBT)
	u64 s_cet = 0;
	int err;

	if (cpu_feature_enabled(X86_FEATURE_IBT))
		return true;
	if (!boot_cpu_has(X86_FEATURE_IBT))
		return false;
	/* The feature bit may be masked while S_CET still enables ENDBR. */
	err = remotefd_rdmsr_safe(MSR_IA32_S_CET, &s_cet);
	return !err && (s_cet & CET_ENDBR_EN);
#else
	return false;
#endif
}

/*
 * The original's technique: a temporary kprobe resolves the address of the
 * unexported fget_task().  The struct kprobe is zeroed, names the symbol
 * (symbol_name and addr are mutually exclusive), lives until it is
 * unregistered, and unregister_kprobe() may sleep (process context here).
 */
static int remotefd_resolve_fget_task(void)
{
#ifdef CONFIG_KPROBES
	struct kprobe kp;
	int ret;

	if (remotefd_ibt_enforced()) {
		pr_err("kprobe_lookup=1 refused: this CPU enforces indirect branch tracking (IBT), calling the unexported fget_task() through a pointer would fault; load without kprobe_lookup\n");
		return -EOPNOTSUPP;
	}

	memset(&kp, 0, sizeof(kp));
	kp.symbol_name = "fget_task";
	ret = register_kprobe(&kp);
	if (ret) {
		pr_err("kprobe_lookup=1: cannot resolve fget_task (%d)\n", ret);
		return ret;
	}
	remotefd_fget_task = (remotefd_fget_task_t)kp.addr;
	unregister_kprobe(&kp);
	pr_info("kprobe_lookup=1: using %pS\n", kp.addr);
	return 0;
#else
	pr_err("kprobe_lookup=1 refused: kernel built without CONFIG_KPROBES\n");
	return -EOPNOTSUPP;
#endif
}

static int remotefd_mount_proc(void)
{
	struct file_system_type *type;
	struct vfsmount *mnt;

	type = get_fs_type("proc");
	if (!type)
		return -ENODEV;
	/* Mounted with the pid namespace of the loading task. */
	mnt = kern_mount(type);
	module_put(type->owner);	/* put_filesystem() is not exported */
	if (IS_ERR(mnt))
		return PTR_ERR(mnt);
	remotefd_procmnt = mnt;
	remotefd_proc_ns = get_pid_ns(task_active_pid_ns(current));
	return 0;
}

static void remotefd_unmount_proc(void)
{
	kern_unmount(remotefd_procmnt);
	put_pid_ns(remotefd_proc_ns);
}

static int __init remotefd_init(void)
{
	int ret;

	/* One layout for 64-bit and 32-bit callers: compat_ptr_ioctl suffices. */
	BUILD_BUG_ON(sizeof(struct remotefd_getfd) != 32);
	BUILD_BUG_ON(offsetof(struct remotefd_getfd, reserved) != 16);
	BUILD_BUG_ON(sizeof(struct remotefd_info) != 32);
	BUILD_BUG_ON(offsetof(struct remotefd_info, reserved) != 8);
	BUILD_BUG_ON(sizeof(struct remotefd_legacy_args) != 12);
	BUILD_BUG_ON(sizeof(struct remotefd_attach) != 32);
	BUILD_BUG_ON(sizeof(struct remotefd_handle_getfd) != 16);
	BUILD_BUG_ON(sizeof(struct remotefd_batch) != 32);
	BUILD_BUG_ON(sizeof(struct remotefd_inventory) != 40);
	BUILD_BUG_ON(sizeof(struct remotefd_fd_record) != 408);
	BUILD_BUG_ON(sizeof(struct remotefd_getmap) != 72);

	ret = remotefd_mount_proc();
	if (ret) {
		pr_err("cannot mount a private procfs (%d)\n", ret);
		return ret;
	}

	if (kprobe_lookup) {
		ret = remotefd_resolve_fget_task();
		if (ret)
			goto err_proc;
	}

	/* Optional: without it, REMOTEFD_FEAT_WATCH is not reported. */
	remotefd_capture_init();

	if (legacy_proc) {
		if (!proc_create("remotefd", remotefd_legacy_mode, NULL, &remotefd_legacy_ops)) {
			pr_err("cannot create /proc/remotefd\n");
			ret = -EEXIST;
			goto err_capture;
		}
		remotefd_legacy_registered = true;
	}

	/* Last: once /dev/remotefd exists it can be opened, so nothing may fail. */
	ret = misc_register(&remotefd_misc);
	if (ret) {
		pr_err("cannot register /dev/%s (%d)\n",
		       REMOTEFD_DEVICE_NAME, ret);
		goto err_legacy;
	}

	pr_info("loaded: /dev/%s abi %d%s%s\n", REMOTEFD_DEVICE_NAME,
		REMOTEFD_ABI_VERSION,
		remotefd_legacy_registered ? ", /proc/remotefd" : "",
		remotefd_fget_task ? ", kprobe lookup" : "");
	return 0;

err_legacy:
	if (remotefd_legacy_registered)
		remove_proc_entry("remotefd", NULL);
	remotefd_legacy_registered = false;
err_capture:
	remotefd_capture_exit();
err_proc:
	remotefd_unmount_proc();
	return ret;
}

static void __exit remotefd_exit(void)
{
	/*
	 * Waits for ioctls in flight on /proc/remotefd; later ones on files
	 * still open fail (ENOTTY) without entering the module.
	 */
	misc_deregister(&remotefd_misc);
	if (remotefd_legacy_registered)
		remove_proc_entry("remotefd", NULL);
	remotefd_capture_exit();
	remotefd_unmount_proc();
}

module_init(remotefd_init);
module_exit(remotefd_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Adopt another process's file by pid and fd, checked like pidfd_getfd(2)");
MODULE_VERSION("1.0");
