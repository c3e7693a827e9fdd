// SPDX-License-Identifier: Apache-2.0
import CShims
import Glibc

/// One file of another process as the remotefd module's inventory describes
/// it (REMOTEFD_HANDLE_IOC_INVENTORY): what fstat, fstatfs, readlink of
/// /proc/PID/fd/N, F_GET_SEALS and fdinfo would say, read in the kernel
/// without installing the file anywhere.
public struct ModuleFileRecord {
    public let fd: Int32
    /// The open file's flags (O_ACCMODE, O_APPEND, ...).
    public let flags: Int32
    public let closeOnExec: Bool
    /// stat(2) of the file: mode, dev, rdev, ino, size, uid, gid, nlink.
    public let stat: stat
    public let filesystemMagic: UInt
    public let filesystemBlockSize: Int
    /// F_SEAL_* bits, nil where the file cannot have seals.
    public let seals: Int32?
    /// readlink(/proc/PID/fd/N), cut to 255 bytes.
    public let name: String
    /// dma-buf exporter and DMA_BUF_SET_NAME name; nil for other files.
    public let exporter: String?
    public let bufferName: String?
    /// References to the open file description (fdinfo "count").
    public let fileCount: Int64

    init(_ r: UnsafePointer<remotefd_fd_record>) {
        let rec = r.pointee
        fd = rec.fd
        flags = Int32(bitPattern: rec.f_flags)
        closeOnExec = rec.info & UInt32(REMOTEFD_INFO_CLOEXEC) != 0
        stat = Self.stat(of: rec)
        filesystemMagic = UInt(rec.fs_magic)
        filesystemBlockSize = Int(rec.fs_bsize)
        seals = Self.seals(of: rec)
        let base = UnsafeRawPointer(r)
        func text<T>(_ field: KeyPath<remotefd_fd_record, T>) -> String {
            let offset = MemoryLayout<remotefd_fd_record>.offset(of: field)!
            return String(cString: (base + offset).assumingMemoryBound(to: CChar.self))
        }
        name = text(\.name)
        let isDmabuf = rec.info & UInt32(REMOTEFD_INFO_DMABUF) != 0
        exporter = isDmabuf ? text(\.exp_name) : nil
        bufferName = isDmabuf ? text(\.buf_name) : nil
        fileCount = Int64(rec.file_count)
    }

    /// The record's stat fields as a `stat`.
    static func stat(of rec: remotefd_fd_record) -> Glibc.stat {
        var st = Glibc.stat()
        st.st_mode = rec.mode
        st.st_dev = UInt(rec.dev)
        st.st_rdev = UInt(rec.rdev)
        st.st_ino = UInt(rec.ino)
        st.st_size = Int(rec.size)
        st.st_uid = rec.uid
        st.st_gid = rec.gid
        st.st_nlink = UInt(rec.nlink)
        return st
    }

    static func seals(of rec: remotefd_fd_record) -> Int32? {
        rec.info & UInt32(REMOTEFD_INFO_SEALS) != 0 ? Int32(bitPattern: rec.seals) : nil
    }

    /// The name field's bytes (NUL-terminated in the record), lent.
    static func withName<R>(of r: UnsafePointer<remotefd_fd_record>, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        let offset = MemoryLayout<remotefd_fd_record>.offset(of: \.name)!
        let name = (UnsafeRawPointer(r) + offset).assumingMemoryBound(to: UInt8.self)
        let length = strnlen(UnsafeRawPointer(name).assumingMemoryBound(to: CChar.self), Int(REMOTEFD_NAME_LEN))
        return body(UnsafeBufferPointer(start: name, count: length))
    }

    /// The fdinfo lines handlers read, as /proc/PID/fdinfo/N would show them.
    var fdinfo: [String: String] {
        var info = ["flags": String(flags, radix: 8), "ino": String(stat.st_ino),
                    "size": String(stat.st_size), "count": String(fileCount)]
        if let exporter { info["exp_name"] = exporter }
        if let bufferName, !bufferName.isEmpty { info["name"] = bufferName }
        return info
    }
}
