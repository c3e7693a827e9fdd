# SPDX-License-Identifier: GPL-2.0-only
# Issue 19: the file-kind matrix, and the second security review's
# regressions (vm/helpers/rfd-kinds.c says what each part checks).
#   kinds fds      every ioctl that touches a target's fds x every kind of
#                  file, plain and O_PATH, as root and as uid 1000 (whose
#                  INVENTORY of an O_PATH dma-buf oopsed the kernel)
#   kinds maps     GETMAP and WATCH_MAPS x every kind of mapping, as root
#                  and as uid 1000: map_files' rule for files that were
#                  never an fd (the exec'd binary, SysV, shared anonymous)
#   self-exec      an execute-only binary cannot read itself through GETMAP
#   exec-mm        a MAPS watch no longer pins its target's old address space
#   userns         a user namespace's uids share their owner's watch limit
#   limits         ALL_FDS and MAPS beyond 1024 (lost), UNWATCH by pidfd,
#                  GETMAP's reserved fields (no other test reached them)
#   uaf            the final COLLECT racing delivery, then close (meaningful
#                  with 2 vCPUs: vm/debug/scenarios/88-capture-uaf.sh)
. /tests/lib.sh
# An execute-only copy of the helper asks GETMAP for its own text.
cp "$(command -v rfd-kinds)" /tmp/rfd-kinds-x && chmod 0711 /tmp/rfd-kinds-x
mkdir -p /mnt/rfd-ramfs && mount -t ramfs ramfs /mnt/rfd-ramfs &&
	echo data > /mnt/rfd-ramfs/f && chmod 0644 /mnt/rfd-ramfs/f ||
	fail "kinds: cannot make a ramfs file"
echo 8 > /proc/sys/vm/nr_hugepages
[ "$(cat /proc/sys/vm/nr_hugepages)" -ge 2 ] || fail "kinds: no huge pages reserved"
echo 0 > /proc/sys/kernel/yama/ptrace_scope
for u in 0 1000; do
	rfd-kinds fds $u
	rfd-kinds maps $u
done
rfd-runas 1000 /tmp/rfd-kinds-x self-exec
rfd-kinds exec-mm 1000
rfd-kinds userns
rfd-kinds limits
rfd-kinds uaf 5
umount /mnt/rfd-ramfs
echo 0 > /proc/sys/vm/nr_hugepages
rm -f /tmp/rfd-kinds-x /tmp/rfd-kinds-link
