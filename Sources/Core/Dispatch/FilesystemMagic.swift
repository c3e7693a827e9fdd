// SPDX-License-Identifier: Apache-2.0
import CShims

/// statfs f_type values handlers compare `AdoptedFile.filesystemMagic`
/// with (linux/magic.h), so that a handler needs nothing but this library.
public enum FilesystemMagic {
    /// tmpfs: memfds and /dev/shm files.
    public static let tmpfs = UInt(rfd_tmpfs_magic())
    /// hugetlbfs: memfds created with MFD_HUGETLB.
    public static let hugetlbfs = UInt(rfd_hugetlbfs_magic())
    /// The dma-buf filesystem (DMA_BUF_MAGIC).
    public static let dmabuf = UInt(rfd_dma_buf_magic())
    /// The anonymous inode filesystem (ANON_INODE_FS_MAGIC): eventfds,
    /// timerfds, and dma-bufs on kernels before they had their own.
    public static let anonInode = UInt(rfd_anon_inode_fs_magic())
}
