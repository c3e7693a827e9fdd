// SPDX-License-Identifier: Apache-2.0
import Glibc
import RemoteFD

/// System V shared memory (shmget/shmat): each segment is a file on the
/// kernel's internal shm mount named "SYSV%08x" (its key), whose inode
/// number is its shmid; /proc/sysvipc/shm describes them.
///
/// A process holds a segment by mapping it, almost never by fd. So this
/// handler, besides probing a file someone took (the module's GETMAP or
/// map_files: both need CAP_CHECKPOINT_RESTORE for these files), claims
/// "/SYSV" mappings for `adopt list`, takes a mapping another way when
/// the file is refused (`MappingAlternative`: attach by the shmid its maps
/// line gives) and takes segments by id with no process named
/// (`IdentifiedResources`: `adopt sysv SHMID`). Without a descriptor it
/// maps by shmat, under the kernel's own IPC permission check.
public struct SysvHandler: ResourceHandler {
    public init() {}

    public var type: String { "sysv" }
    public var displayName: String { "a System V shared memory segment" }

    public func probe(_ file: AdoptedFile) -> Bool {
        guard file.isRegularFile,
              file.filesystemMagic == FilesystemMagic.tmpfs || file.filesystemMagic == FilesystemMagic.hugetlbfs,
              let key = Self.key(fromPath: file.link) else { return false }
        // The name alone could be a file someone called /SYSV… on a tmpfs
        // of theirs. The kernel's own shm mount (memfds live there too)
        // tells; else the inode must be a segment of that key (the key
        // reads 0 once marked for destruction). A file taken from a
        // segment since destroyed (captured at its owner's exit) is on
        // that mount but no longer in the table.
        if let device = Self.internalShmDevice, file.device == device { return true }
        guard let segment = SysvSegments.segment(Int32(truncatingIfNeeded: file.inode)) else { return false }
        return segment.key == key || segment.isMarkedForDestruction || segment.key == 0
    }

    /// The device of the kernel's internal shm mount: where memfds and
    /// System V segments are made (fstat of a memfd of our own, once).
    static let internalShmDevice: UInt64? = {
        typealias MemfdCreate = @convention(c) (UnsafePointer<CChar>, UInt32) -> Int32
        guard let symbol = dlsym(nil, "memfd_create") else { return nil }
        let fd = unsafeBitCast(symbol, to: MemfdCreate.self)("rfd-shm-device", 1 /* MFD_CLOEXEC */)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        return fstat(fd, &st) == 0 ? UInt64(st.st_dev) : nil
    }()

    /// "/SYSV0000abcd (deleted)" → 0xabcd; nil for another path.
    static func key(fromPath path: String) -> Int32? {
        guard path.hasPrefix("/SYSV") else { return nil }
        var hex = path.dropFirst(5)
        if hex.hasSuffix(" (deleted)") { hex = hex.dropLast(" (deleted)".count) }
        guard hex.count == 8, let key = UInt32(hex, radix: 16) else { return nil }
        return Int32(bitPattern: key)
    }

    public func describe(_ file: AdoptedFile) -> Description {
        let shmid = Int32(truncatingIfNeeded: file.inode)
        var d = Description()
        let key = Self.key(fromPath: file.link) ?? 0
        d.append("name", key == 0 ? .null : .string(SysvSegment.keyText(key)))
        d.append("shmid", Int(shmid))
        guard let s = SysvSegments.segment(shmid) else {
            d.append("segment", "gone: not in \(SysvSegments.table)")
            return d
        }
        Self.describe(s, into: &d)
        return d
    }

    /// The table's facts about `s`.
    static func describe(_ s: SysvSegment, into d: inout Description) {
        d.append("key", SysvSegment.keyText(s.key))
        d.append("owner", userName(s.uid))
        d.append("group", groupName(s.gid))
        d.append("creator", userName(s.creatorUID))
        d.append("mode", "0" + String(s.permissions, radix: 8))
        d.append("creator_pid", Int(s.creatorPID))
        d.append("last_pid", Int(s.lastPID))
        d.append("attached", s.attachments)
        d.append("marked_for_destruction", s.isMarkedForDestruction)
        // The segment's own, over all its users (a listing's rss/pss are per mapping).
        d.append("segment_rss", s.rss)
        d.append("segment_swap", s.swap)
    }

    public func open(_ file: AdoptedFile, options: AccessOptions) throws(AdoptError) -> any BufferAccess {
        if file.hasDescriptor { return try SysvAttachment(mapping: file, writable: options.writable) }
        // Taken by id: attached when taken (read-only), which holds it.
        if let held = file.holding as? SysvAttachment, held.writable || !options.writable { return held }
        return try SysvAttachment(shmid: Int32(truncatingIfNeeded: file.inode), size: Int(file.stat.st_size),
                                  writable: options.writable, pid: file.pid, origin: file.origin)
    }

    /// A segment's facts as an `AdoptedFile` without a descriptor: the
    /// table's size, mode and owner, "/SYSV%08x (deleted)" as its link.
    static func facts(_ s: SysvSegment, pid: pid_t?, origin: BufferOrigin, mapping: ProcessMapping?,
                      holding: SysvAttachment? = nil) -> AdoptedFile {
        var st = stat()
        st.st_ino = ino_t(UInt32(bitPattern: s.shmid))
        st.st_size = off_t(s.size)
        st.st_mode = S_IFREG | mode_t(s.permissions)
        st.st_uid = s.uid
        st.st_gid = s.gid
        st.st_nlink = 0
        st.st_dev = dev_t(mapping?.device ?? 0)
        // A mapping names the key it was made with; the table's reads 0
        // once the segment is marked for destruction.
        let link = mapping?.path ?? "/" + SysvSegment.fileName(key: s.key) + " (deleted)"
        let access = s.allows(uid: geteuid(), gid: getegid(), writable: true) ? O_RDWR : O_RDONLY
        return AdoptedFile(facts: st, filesystemMagic: FilesystemMagic.tmpfs, filesystemBlockSize: Int(getpagesize()),
                           link: link, accessMode: access, pid: pid, origin: origin, backendName: "shmat", mapping: mapping,
                           holding: holding)
    }

    /// `s` attached now, read-only, and its facts holding the attachment:
    /// taken as an fd would be (a segment marked for destruction stays
    /// while it is attached), under the kernel's IPC permission check.
    static func attached(_ s: SysvSegment, pid: pid_t?, origin: BufferOrigin,
                         mapping: ProcessMapping?) throws(AdoptError) -> AdoptedFile {
        let attachment = try SysvAttachment(shmid: s.shmid, size: s.size, writable: false, pid: pid, origin: origin)
        return facts(s, pid: pid, origin: origin, mapping: mapping, holding: attachment)
    }

    static func noSegment(_ shmid: Int32, pid: pid_t?, origin: BufferOrigin) -> AdoptError {
        AdoptError(pid: pid, origin: origin, reason: .other, errno: .invalidArgument,
                   "no System V segment with shmid \(shmid) in \(SysvSegments.table) (removed, or in another IPC namespace)")
    }

    private static func userName(_ uid: uid_t) -> String {
        getpwuid(uid).map { String(cString: $0.pointee.pw_name) } ?? String(uid)
    }

    private static func groupName(_ gid: gid_t) -> String {
        getgrgid(gid).map { String(cString: $0.pointee.gr_name) } ?? String(gid)
    }
}

extension SysvHandler: ResourceListing {
    /// `adopt list` asks this of every fd: anything but a regular shmem
    /// file whose link starts "/SYSV" is refused from the cheap facts.
    public func listRow(_ file: ListedFile) -> ListedRow {
        if let adopted = file.adopted { return probe(adopted) ? .row(listColumns(from: describe(adopted))) : .notMine }
        guard file.isRegularFile,
              file.filesystemMagic == FilesystemMagic.tmpfs || file.filesystemMagic == FilesystemMagic.hugetlbfs
        else { return .notMine }
        return file.withLink { $0.starts(with: "/SYSV".utf8) } ? .needsFile : .notMine
    }

    public func listDetail(_ description: Description) -> String {
        let shmid = description["shmid"]?.text ?? "?"
        let mode = description["mode"]?.text ?? "?"
        let owner = description["owner"]?.text ?? "?"
        let attached = description["attached"]?.text ?? "?"
        let cpid = description["creator_pid"]?.text ?? "?"
        let lpid = description["last_pid"]?.text ?? "?"
        let dest = description["marked_for_destruction"] == .bool(true) ? " RMID" : ""
        return "shmid=\(shmid) \(mode) \(owner) nattch=\(attached) cpid=\(cpid) lpid=\(lpid)\(dest)"
    }

    /// Mappings of segments read "/SYSV%08x (deleted)"; shmem: smaps
    /// counts them. The name is the key.
    public var mappingClaims: [MappingClaim] {
        [MappingClaim(pathPrefix: "/SYSV", counting: .smaps, name: { path in
            SysvHandler.key(fromPath: path).flatMap { $0 == 0 ? nil : SysvSegment.keyText($0) }
        })]
    }
}

extension SysvHandler: MappingAlternative {
    /// Attaches by the shmid the maps line gives (its inode number): the
    /// kernel's IPC check, not ptrace, decides whether we may.
    public func adopt(mapping: ProcessMapping, of target: TargetProcess) throws(AdoptError) -> AdoptedFile {
        let shmid = Int32(truncatingIfNeeded: mapping.inode)
        guard let s = SysvSegments.segment(shmid) else {
            throw Self.noSegment(shmid, pid: target.pid, origin: .mapping(mapping.start))
        }
        return try Self.attached(s, pid: target.pid, origin: .ipc(kind: idName, id: shmid), mapping: mapping)
    }

    public func facts(of mapping: ProcessMapping, pid: pid_t) -> AdoptedFile? {
        SysvSegments.segment(Int32(truncatingIfNeeded: mapping.inode)).map {
            Self.facts($0, pid: pid, origin: .mapping(mapping.start), mapping: mapping)
        }
    }
}

extension SysvHandler: IdentifiedResources {
    public var idName: String { "shmid" }

    public func adopt(id: Int32) throws(AdoptError) -> AdoptedFile {
        guard let s = SysvSegments.segment(id) else { throw Self.noSegment(id, pid: nil, origin: .ipc(kind: idName, id: id)) }
        return try Self.attached(s, pid: nil, origin: .ipc(kind: idName, id: id), mapping: nil)
    }

    public func allows(uid: uid_t, gid: gid_t, id: Int32) -> Bool {
        SysvSegments.segment(id)?.allows(uid: uid, gid: gid) ?? false
    }

    /// Segments with nothing attached: they stay until IPC_RMID.
    public func unheld() -> [UnheldResource] {
        (SysvSegments.all() ?? []).filter { $0.attachments == 0 }.map { s in
            var d = Description()
            d.append("name", s.key == 0 ? .null : .string(SysvSegment.keyText(s.key)))
            d.append("shmid", Int(s.shmid))
            Self.describe(s, into: &d)
            return UnheldResource(id: s.shmid, size: s.size, device: 0, inode: UInt64(UInt32(bitPattern: s.shmid)),
                                  columns: listColumns(from: d), description: d)
        }
    }
}
