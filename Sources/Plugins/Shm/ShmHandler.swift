// SPDX-License-Identifier: Apache-2.0
import RemoteFD
import Glibc
import Synchronization

/// POSIX shared memory: files on the tmpfs mounted at /dev/shm (shm_open).
public struct ShmHandler: ResourceHandler {
    static let directory = "/dev/shm/"

    /// The device of /dev/shm in our mount namespace, read once.
    private let shmDevice: UInt64?

    public init() {
        var st = stat()
        shmDevice = stat(Self.directory, &st) == 0 ? UInt64(st.st_dev) : nil
    }

    public var type: String { "shm" }
    public var displayName: String { "a POSIX shm file" }

    public func probe(_ file: AdoptedFile) -> Bool {
        guard mayBeShm(regular: file.isRegularFile, magic: file.filesystemMagic, device: file.device) else { return false }
        return file.link.hasPrefix(Self.directory)
    }

    /// What `probe` asks before reading the link.
    private func mayBeShm(regular: Bool, magic: UInt, device: UInt64) -> Bool {
        regular && magic == FilesystemMagic.tmpfs && shmDevice == device
    }

    public func describe(_ file: AdoptedFile) -> Description {
        var d = Description()
        let link = file.link
        let path = link.hasSuffix(" (deleted)") ? link.dropLast(" (deleted)".count) : Substring(link)
        // shm_open names are "/NAME" relative to /dev/shm.
        d.append("name", "/" + path.dropFirst(Self.directory.count))
        d.append("path", String(path))
        d.append("owner", Self.userName(file.stat.st_uid))
        d.append("group", Self.groupName(file.stat.st_gid))
        d.append("mode", "0" + String(file.stat.st_mode & 0o7777, radix: 8))
        d.append("unlinked", file.stat.st_nlink == 0)
        return d
    }

    public func open(_ file: AdoptedFile, options: AccessOptions) throws(AdoptError) -> any BufferAccess {
        try FileBufferAccess.open(file, options: options)
    }

    /// getpwuid and getgrgid read /etc/passwd and /etc/group on every
    /// call; `adopt list` asks for every shm file, nearly always about the
    /// same few ids.
    private static let userNames = Mutex<[uid_t: String]>([:])
    private static let groupNames = Mutex<[gid_t: String]>([:])

    static func userName(_ uid: uid_t) -> String {
        if let known = userNames.withLock({ $0[uid] }) { return known }
        let name = getpwuid(uid).map { String(cString: $0.pointee.pw_name) } ?? String(uid)
        userNames.withLock { $0[uid] = name }
        return name
    }

    static func groupName(_ gid: gid_t) -> String {
        if let known = groupNames.withLock({ $0[gid] }) { return known }
        let name = getgrgid(gid).map { String(cString: $0.pointee.gr_name) } ?? String(gid)
        groupNames.withLock { $0[gid] = name }
        return name
    }
}

extension ShmHandler: ResourceListing {
    /// Files off /dev/shm's device are told apart without an AdoptedFile;
    /// the others are described.
    public func listRow(_ file: ListedFile) -> ListedRow {
        mayBeShm(regular: file.isRegularFile, magic: file.filesystemMagic, device: file.device) ? .needsFile : .notMine
    }

    /// Mappings of /dev/shm files (tmpfs: smaps counts them), named by path.
    public var mappingClaims: [MappingClaim] {
        [MappingClaim(pathPrefix: Self.directory, counting: .smaps)]
    }

    public func listDetail(_ description: Description) -> String {
        let mode = description["mode"]?.text ?? "?"
        let owner = description["owner"]?.text ?? "?"
        let unlinked = description["unlinked"] == .bool(true) ? " unlinked" : ""
        return "\(mode) \(owner)\(unlinked)"
    }
}
