/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * remotefd: declarations shared by the module's files (remotefd_main.c, the
 * device; target.c, who may get what: target, permission check, file kinds,
 * install; capture.c, capture on exit; handle.c, target handles; mapping.c,
 * the file behind a mapping).
 */
#ifndef _REMOTEFD_INTERNAL_H
#define _REMOTEFD_INTERNAL_H

#include <linux/compiler.h>
#include <linux/fs.h>
#include <linux/poll.h>
#include <linux/types.h>

struct files_struct;
struct pid;
struct task_struct;

/* target.c */
int remotefd_target_init(bool kprobe);
void remotefd_target_exit(void);
bool remotefd_kprobe_lookup(void);
struct file *remotefd_check_lock(struct task_struct *task);
void remotefd_check_unlock(struct task_struct *task, struct file *mem);
struct pid *remotefd_pidfd_pid(int pidfd);
struct task_struct *remotefd_target_task(s32 target, u32 flags);
int remotefd_adopt(struct task_struct *task, int fd, unsigned int o_flags,
		   int __user *ufd);
int remotefd_install(struct file *file, int __user *ufd, unsigned int o_flags);
struct file *remotefd_fget_files(struct files_struct *files, unsigned int fd);
bool remotefd_file_dmabuf(const struct file *file);
bool remotefd_file_seals(const struct file *file, u32 *seals);
bool remotefd_file_capturable(const struct file *file);
bool remotefd_map_file_needs_cap(const struct file *file);
bool remotefd_map_capable(bool audit);

/* handle.c */
struct remotefd_attach;
long remotefd_ioctl_attach(struct remotefd_attach __user *uarg);

/* mapping.c */
struct mm_struct;
struct remotefd_getmap;
int remotefd_map_file(struct mm_struct *mm, struct remotefd_getmap *req,
		      struct file **filep);
int remotefd_check_getmap(const struct remotefd_getmap *req);
long remotefd_getmap_finish(struct remotefd_getmap __user *uarg,
			    struct remotefd_getmap *req, struct file *file,
			    int ret);
long remotefd_ioctl_getmap(struct remotefd_getmap __user *uarg);

/* capture.c */
int remotefd_capture_init(void);
void remotefd_capture_exit(void);
bool remotefd_capture_available(void);
int remotefd_capture_open(struct inode *inode, struct file *file);
int remotefd_capture_release(struct inode *inode, struct file *file);
__poll_t remotefd_capture_poll(struct file *file, poll_table *pt);
long remotefd_capture_ioctl(struct file *file, unsigned int cmd,
			    void __user *uarg);

#endif /* _REMOTEFD_INTERNAL_H */
