// SPDX-License-Identifier: GPL-2.0-only
/*
 * rfd_procblock: test module for vm/scenarios/84-harden-initorder.sh.
 * Occupies /proc/remotefd so that loading remotefd with legacy_proc=1 fails
 * at proc_create(): remotefd must then not have exposed /dev/remotefd.
 */
#include <linux/module.h>
#include <linux/proc_fs.h>

static const struct proc_ops rfd_procblock_ops = { };
static struct proc_dir_entry *rfd_procblock_entry;

static int __init rfd_procblock_init(void)
{
	rfd_procblock_entry = proc_create("remotefd", 0444, NULL,
					  &rfd_procblock_ops);
	return rfd_procblock_entry ? 0 : -EEXIST;
}

static void __exit rfd_procblock_exit(void)
{
	proc_remove(rfd_procblock_entry);
}

module_init(rfd_procblock_init);
module_exit(rfd_procblock_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("remotefd test: holds /proc/remotefd");
