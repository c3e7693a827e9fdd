// SPDX-License-Identifier: Apache-2.0
import CShims
import Glibc
import SystemPackage

/// Our fd for a file another process holds, with the facts handlers probe.
/// fstat and fstatfs (cheap, < 0.6 µs) are read once up front; the link
/// text, fdinfo and seals (4.5–8.6 µs for the first two) only when asked.
///
/// Or a resource known by its facts alone, with no fd of ours
/// (`hasDescriptor` false, `descriptor` -1): a file the remotefd module's
/// inventory described (`record`), or an IPC object a handler found by id
/// (`init(facts:…)`); its handler maps it its own way.
public final class AdoptedFile {
    /// Owned: closed when this object goes, unless `release()`d.
    public private(set) var descriptor: FileDescriptor
    /// The module's description, when the file was listed, not adopted.
    public let record: ModuleFileRecord?
    /// Whether `descriptor` is ours to read and map.
    public let hasDescriptor: Bool
    /// The process it came from; nil for an IPC object taken by id.
    public let pid: pid_t?
    /// How it was taken: the owner's fd, a mapping, an IPC id.
    public let origin: BufferOrigin
    /// The owner's fd number, when it was taken as an fd.
    public var fd: Int32? { origin.fd }
    /// The backend that produced it, and what its fds mean.
    public let backendName: String
    public let backendNote: String?
    /// Which of the backend's ways produced it, where it has several
    /// (kmod: "handle" or "getfd"); shown as "via: NAME (PATH)".
    public package(set) var backendPath: String?
    /// The mapping the file was taken from (origin `.mapping`), as far as
    /// it is known.
    public package(set) var mapping: ProcessMapping?
    /// "kmod (handle)", "pidfd", ...
    public var via: String { backendPath.map { "\(backendName) (\($0))" } ?? backendName }
    /// "pid 12 fd 3", "pid 12 map 0x7f12a000", "shmid 42": how messages name it.
    public var source: String { pid.map { "pid \($0) \(origin)" } ?? origin.description }

    public let stat: stat
    /// statfs f_type (TMPFS_MAGIC, HUGETLBFS_MAGIC, DMA_BUF_MAGIC...).
    public let filesystemMagic: UInt
    /// statfs f_bsize: the page size on hugetlbfs.
    public let filesystemBlockSize: Int
    /// What keeps a resource without a descriptor alive while this object
    /// lives (a handler's attachment of an IPC object taken by id): given
    /// with the facts, for the handler's `open` to use.
    public let holding: AnyObject?
    /// The link text given with the facts (no descriptor to read it from).
    private let givenLink: String?
    private var givenAccessMode = O_RDONLY

    private var owned = true

    /// Fd `fd` of `pid`, taken by a backend.
    public convenience init(descriptor: FileDescriptor, pid: pid_t, fd: Int32,
                            backendName: String, backendNote: String? = nil) throws(Errno) {
        try self.init(descriptor: descriptor, pid: pid, origin: .fd(fd), backendName: backendName, backendNote: backendNote)
    }

    public convenience init(descriptor: FileDescriptor, pid: pid_t?, origin: BufferOrigin,
                            backendName: String, backendNote: String? = nil) throws(Errno) {
        var st = Glibc.stat()
        var magic: UInt = 0
        var blockSize = 0
        _ = try syscallValue { fstat(descriptor.rawValue, &st) }
        _ = try syscallValue { rfd_fstatfs(descriptor.rawValue, &magic, &blockSize) }
        self.init(descriptor: descriptor, pid: pid, origin: origin, backendName: backendName, backendNote: backendNote,
                  stat: st, filesystemMagic: magic, filesystemBlockSize: blockSize)
    }

    /// With the facts already read (a listing: fstat per fd, statfs per
    /// filesystem through its `FilesystemCache`).
    init(descriptor: FileDescriptor, pid: pid_t?, origin: BufferOrigin, backendName: String, backendNote: String? = nil,
         stat: stat, filesystemMagic: UInt, filesystemBlockSize: Int) {
        self.descriptor = descriptor
        self.pid = pid
        self.origin = origin
        self.backendName = backendName
        self.backendNote = backendNote
        self.stat = stat
        self.filesystemMagic = filesystemMagic
        self.filesystemBlockSize = filesystemBlockSize
        self.record = nil
        self.hasDescriptor = true
        self.givenLink = nil
        self.holding = nil
    }

    /// A file the module's inventory described; no fd is held.
    public init(record: ModuleFileRecord, pid: pid_t, backendName: String) {
        self.descriptor = FileDescriptor(rawValue: -1)
        self.owned = false
        self.pid = pid
        self.origin = .fd(record.fd)
        self.backendName = backendName
        self.backendNote = nil
        self.stat = record.stat
        self.filesystemMagic = record.filesystemMagic
        self.filesystemBlockSize = record.filesystemBlockSize
        self.record = record
        self.hasDescriptor = false
        self.givenLink = nil
        self.holding = nil
    }

    /// A resource known by its facts, with no fd of ours: what a handler
    /// found by other means (an IPC object attached by id, its facts read
    /// from the kernel's tables), for the handlers to probe and describe.
    /// `link` stands for the fd link ("/NAME (deleted)"), `accessMode`
    /// for the fd's (O_RDONLY or O_RDWR: what we may map); `holding`
    /// keeps the resource alive as an fd would (nil: the facts only).
    public init(facts stat: stat, filesystemMagic: UInt, filesystemBlockSize: Int, link: String, accessMode: Int32,
                pid: pid_t?, origin: BufferOrigin, backendName: String, mapping: ProcessMapping? = nil,
                holding: AnyObject? = nil) {
        self.descriptor = FileDescriptor(rawValue: -1)
        self.owned = false
        self.pid = pid
        self.origin = origin
        self.backendName = backendName
        self.backendNote = nil
        self.stat = stat
        self.filesystemMagic = filesystemMagic
        self.filesystemBlockSize = filesystemBlockSize
        self.record = nil
        self.hasDescriptor = false
        self.givenLink = link
        self.givenAccessMode = accessMode
        self.mapping = mapping
        self.holding = holding
    }

    deinit {
        if owned { try? descriptor.close() }
    }

    /// Gives up ownership: the caller closes the fd.
    public func release() -> FileDescriptor {
        owned = false
        return descriptor
    }

    // MARK: cheap facts

    public var inode: UInt64 { UInt64(stat.st_ino) }
    public var device: UInt64 { UInt64(stat.st_dev) }
    public var isRegularFile: Bool { stat.st_mode & S_IFMT == S_IFREG }
    /// The size now (fstat again: the owner may have resized it).
    public var currentSize: Int {
        if !hasDescriptor { return Int(stat.st_size) }
        var st = Glibc.stat()
        return fstat(descriptor.rawValue, &st) == 0 ? Int(st.st_size) : Int(stat.st_size)
    }

    /// O_RDONLY, O_WRONLY or O_RDWR, as the fd was opened (by the owner,
    /// for pidfd and kmod; by us, for procfs).
    public var accessMode: Int32 {
        if let record { return record.flags & O_ACCMODE }
        return hasDescriptor ? rfd_get_fl(descriptor.rawValue) & O_ACCMODE : givenAccessMode
    }
    public var isWritable: Bool { accessMode != O_RDONLY }
    public var isReadable: Bool { accessMode != O_WRONLY }

    /// memfd seals, nil where the file cannot have seals.
    public var seals: Seals? {
        if let record { return record.seals.map { Seals(rawValue: $0) } }
        guard hasDescriptor else { return nil }
        let raw = rfd_get_seals(descriptor.rawValue)
        return raw < 0 ? nil : Seals(rawValue: raw)
    }

    // MARK: costlier facts, computed once

    /// What /proc/self/fd/N points to: "/memfd:name (deleted)", "/dev/shm/x",
    /// "/dmabuf:", "pipe:[123]", "anon_inode:[eventfd]"...
    public private(set) lazy var link: String =
        record?.name ?? givenLink ?? (ownLinks.map { $0.link(of: descriptor.rawValue) } ?? ProcFiles.ownFDLink(descriptor.rawValue)) ?? ""

    /// A reader lent by a caller reading many links (Inventory): see
    /// `OwnFDLinks`. Not owned; nil for none.
    var ownLinks: OwnFDLinks?

    /// /proc/self/fdinfo/N fields (pos, flags, mnt_id, ino, and the file
    /// type's own lines).
    public private(set) lazy var fdinfo: [String: String] =
        record?.fdinfo ?? (!hasDescriptor ? [:] : nil) ?? ProcFdInfo.fields(pid: getpid(), fd: descriptor.rawValue) ?? [:]
}
