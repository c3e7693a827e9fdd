// SPDX-License-Identifier: GPL-2.0-only
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
 *                   (off by default: module parameter legacy_proc=1 adds it)
 *
 * Both device nodes may be world-accessible: every request is checked
 * against its target, exactly like pidfd_getfd(2).
 *
 * Who may get what (target resolution, the permission check, the file-kind
 * rules, installing the file) is decided in one place, target.c, whose
 * header comment has the reasoning; this file registers the interfaces and
 * dispatches.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/compat.h>
#include <linux/err.h>
#include <linux/fcntl.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/sched/task.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include <linux/remotefd.h>	/* kmod/include/uapi/linux/remotefd.h */

#include "compat.h"
#include "remotefd.h"

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

static bool remotefd_legacy_registered;

/* World-writable on purpose: each request is checked against its target. */
static const umode_t remotefd_legacy_mode = 0666;

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
	if (remotefd_kprobe_lookup())
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

static const struct file_operations remotefd_fops = {
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

	ret = remotefd_target_init(kprobe_lookup);
	if (ret)
		return ret;

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
		remotefd_kprobe_lookup() ? ", kprobe lookup" : "");
	return 0;

err_legacy:
	if (remotefd_legacy_registered)
		remove_proc_entry("remotefd", NULL);
	remotefd_legacy_registered = false;
err_capture:
	remotefd_capture_exit();
	remotefd_target_exit();
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
	remotefd_target_exit();
}

module_init(remotefd_init);
module_exit(remotefd_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Adopt another process's file by pid and fd, checked like pidfd_getfd(2)");
MODULE_VERSION("1.0");
