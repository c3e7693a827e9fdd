// SPDX-License-Identifier: GPL-2.0-only
/*
 * remotefd: the one place that decides what a caller may get.  Every path
 * that hands out a file (GETFD, the legacy ioctl, the handle ioctls, GETMAP,
 * capture) resolves its target, runs the permission check and installs the
 * file through the functions here, and asks the file-kind rules below what
 * a file is; nothing else in the module infers a file's kind.
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
 *
 * File kinds
 *   A kind is decided from what cannot lie: the file's f_mode (an O_PATH
 *   file has FMODE_PATH, empty_fops and no private_data, whatever inode it
 *   names), its superblock's magic and flags, and its mount.  Nothing reads
 *   private_data unless the kind guarantees what it is.
 *   - dma-buf (remotefd_file_dmabuf): the dma-buf pseudo filesystem's
 *     inodes are made by alloc_anon_inode() (i_fop no_open_fops: reopening
 *     through /proc fails), so a file on it is either dma_buf_fops' own,
 *     whose private_data is the struct dma_buf, or an O_PATH reopen.
 *   - capturable (remotefd_file_capturable): cannot hold a reference to
 *     another open file (capture.c's header comment says why).  Pseudo
 *     filesystems (SB_NOUSER: anon_inodefs, sockfs, aio, pidfs, nsfs, ...)
 *     only for pipes, dma-bufs and the kernel's own shmem mount (memfds,
 *     SysV segments, shared anonymous memory), since their i_mode says nothing
 *     (v6.15.y's anonymous inodes were S_IFREG for a while, cfd86ef7e8e7);
 *     elsewhere regular files, directories, symlinks and FIFOs.
 *   - a mapping's file (remotefd_map_file_needs_cap): GETMAP and WATCH_MAPS
 *     hand out files found through a mapping, which the process may never
 *     have held as an fd: the exec'd binary and its interpreter (opened by
 *     the kernel with MAY_EXEC only: an execute-only binary cannot be read
 *     by open()), SysV segments, shared anonymous memory and other
 *     kernel-internal shmem (S_PRIVATE), overlayfs' and FUSE's backing files.
 *     /proc/PID/map_files hands those out only to CAP_CHECKPOINT_RESTORE or
 *     CAP_SYS_ADMIN in the initial user namespace (640708a2cff7, kept by
 *     bdb4d100afe9 against bypassing permissions on ancestor directories);
 *     so does GETMAP.  Without the capability, only the buffers the module
 *     exists for: dma-bufs, and shmem or hugetlbfs regular files that are
 *     not kernel-internal and were not opened by exec: memfds (their name
 *     on the kernel's own mount starts "memfd:"), and files of a mounted
 *     tmpfs or hugetlbfs such as /dev/shm, which the owner opened by path.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/err.h>
#include <linux/fcntl.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hugetlb.h>
#include <linux/kprobes.h>
#include <linux/magic.h>
#include <linux/mount.h>
#include <linux/namei.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/shmem_fs.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/user_namespace.h>
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
#ifndef FMODE_BACKING
#define FMODE_BACKING	0		/* v6.5+: overlayfs/FUSE backing files */
#endif
#define MFD_NAME_PREFIX	"memfd:"	/* mm/memfd.c */

#define REMOTEFD_RETRIES	3

/* Private procfs instance for the permission check, and its pid namespace. */
static struct vfsmount *remotefd_procmnt;
static struct pid_namespace *remotefd_proc_ns;

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
int remotefd_adopt(struct task_struct *task, int fd,
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

	f = fget(pidfd);		/* refuses O_PATH files, as pidfd_getfd */
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

/* ---- file kinds (header comment) ---------------------------------------- */

/* A dma-buf of dma_buf_fops: private_data is its struct dma_buf. */
bool remotefd_file_dmabuf(const struct file *file)
{
	return !(file->f_mode & FMODE_PATH) &&
	       file_inode(file)->i_sb->s_magic == DMA_BUF_MAGIC;
}

/* Cannot hold a reference to another open file. */
bool remotefd_file_capturable(const struct file *file)
{
	const struct inode *inode = file_inode(file);
	const struct super_block *sb = inode->i_sb;

	if (sb->s_flags & SB_NOUSER) {
		switch (sb->s_magic) {
		case PIPEFS_MAGIC:
		case DMA_BUF_MAGIC:
		case TMPFS_MAGIC:	/* the kernel's shmem: memfds, SysV, shared anonymous */
			return true;
		default:
			return false;
		}
	}
	switch (inode->i_mode & S_IFMT) {
	case S_IFREG:
	case S_IFDIR:
	case S_IFLNK:
	case S_IFIFO:
		return true;
	default:
		return false;
	}
}

/* F_GET_SEALS's answer, without the file being ours (shmem, hugetlbfs). */
bool remotefd_file_seals(const struct file *file, u32 *seals)
{
	struct inode *inode = file_inode(file);

	/* F_GET_SEALS on an O_PATH fd is EBADF: no seals to report. */
	if (!S_ISREG(inode->i_mode) || file->f_mode & FMODE_PATH)
		return false;
	switch (inode->i_sb->s_magic) {
	case TMPFS_MAGIC:
		*seals = READ_ONCE(SHMEM_I(inode)->seals);
		return true;
#ifdef CONFIG_HUGETLBFS
	case HUGETLBFS_MAGIC:
		*seals = READ_ONCE(HUGETLBFS_I(inode)->seals);
		return true;
#endif
	default:
		return false;
	}
}

/* A memfd, or a file of a mounted tmpfs or hugetlbfs (/dev/shm). */
static bool remotefd_shm_buffer(const struct file *file)
{
	const struct inode *inode = file_inode(file);
	unsigned long magic = inode->i_sb->s_magic;

	if (magic != TMPFS_MAGIC && magic != HUGETLBFS_MAGIC)
		return false;
	if (!S_ISREG(inode->i_mode) || IS_PRIVATE(inode))
		return false;		/* SysV, shared anonymous, internal */
	if (!(file->f_path.mnt->mnt_flags & MNT_INTERNAL))
		return true;		/* opened by path on a mounted fs */
	/* The kernel's own mounts: memfds, and kernel users (GEM, SysV hugetlb). */
	return !strncmp(file->f_path.dentry->d_name.name, MFD_NAME_PREFIX,
			strlen(MFD_NAME_PREFIX));
}

/*
 * A file found through a mapping of the target: does handing it out take
 * CAP_CHECKPOINT_RESTORE (or CAP_SYS_ADMIN), as /proc/PID/map_files does?
 */
bool remotefd_map_file_needs_cap(const struct file *file)
{
	if (file->f_flags & __FMODE_EXEC || file->f_mode & (FMODE_EXEC | FMODE_BACKING))
		return true;		/* opened by exec, or an fs's own file */
	return !remotefd_file_dmabuf(file) && !remotefd_shm_buffer(file);
}

/*
 * The caller has map_files' capability (checkpoint_restore_ns_capable() in
 * the initial namespace).  @audit: log a denial, as map_files does; capture
 * asks ahead of time, without it.
 */
bool remotefd_map_capable(bool audit)
{
	if (audit)
		return checkpoint_restore_ns_capable(&init_user_ns);
	/* checkpoint_restore_ns_capable_noaudit(): v6.1+ only. */
	return ns_capable_noaudit(&init_user_ns, CAP_CHECKPOINT_RESTORE) ||
	       ns_capable_noaudit(&init_user_ns, CAP_SYS_ADMIN);
}

/* ---- set-up ------------------------------------------------------------- */

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

bool remotefd_kprobe_lookup(void)
{
	return remotefd_fget_task;
}

/* The private procfs mount, and with @kprobe the fget_task() lookup. */
int remotefd_target_init(bool kprobe)
{
	int ret;

	ret = remotefd_mount_proc();
	if (ret) {
		pr_err("cannot mount a private procfs (%d)\n", ret);
		return ret;
	}
	if (kprobe) {
		ret = remotefd_resolve_fget_task();
		if (ret)
			remotefd_unmount_proc();
	}
	return ret;
}

void remotefd_target_exit(void)
{
	remotefd_unmount_proc();
}
