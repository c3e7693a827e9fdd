import Glibc
import SystemPackage

/// One adoptable buffer found in a process.
public struct InventoryEntry {
    public let pid: pid_t
    public let fd: Int32
    public let type: String
    public let description: Description
    /// The handler's short column (seals, mode, exporter): `ResourceListing`.
    public let detail: String
    /// The description key the handler totals by (e.g. "exporter").
    public let totalsKey: String?
    public let device: UInt64
    public let inode: UInt64
    public let size: Int
    /// Other processes holding the same inode.
    public internal(set) var sharedWith: [pid_t] = []
}

/// A process the inventory could not inspect: one line, not a failure of
/// the whole listing.
public struct InventoryError: Error, CustomStringConvertible, Sendable {
    public let pid: pid_t
    public let error: AdoptError?
    public let message: String
    public var description: String { "pid \(pid): \(message)" }
}

/// `adopt list`: every adoptable buffer of some processes, and which other
/// processes hold the same inodes.
public struct Inventory {
    public var handlers: HandlerRegistry
    public var backend: any AcquisitionBackend

    public init(handlers: HandlerRegistry, backend: any AcquisitionBackend) {
        self.handlers = handlers
        self.backend = backend
    }

    public struct Result {
        public var entries: [InventoryEntry] = []
        public var errors: [InventoryError] = []
        /// How the fds were read: "kmod (inventory)" (described in the
        /// kernel, nothing adopted), else the backend adopting each fd.
        public var method = ""
    }

    /// Scans `pids`. With `findSharers`, also looks through every other
    /// process's fd table (a stat per fd, no adoption) for the same inodes.
    public func scan(pids: [pid_t], findSharers: Bool = true) -> Result {
        var result = Result()
        // Read every adopted fd's link relative to this directory (see
        // AdoptedFile.selfFDDirectory); closed when the scan ends.
        let selfFDs = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        defer { if selfFDs >= 0 { close(selfFDs) } }
        let me = getpid()
        let module = ModuleInventoryReader(backend: backend)
        result.method = module != nil ? "kmod (inventory)" : backend.name
        RemoteFDLog.logger?.info(module != nil
            ? "list: fd tables read through the module's inventory (nothing adopted)"
            : "list: each fd adopted through \(backend.name)\(backend is KmodBackend ? " (this module has no inventory)" : "")")
        for pid in pids where pid != me {
            if let module {
                scan(pid: pid, through: module, into: &result)
            } else {
                scan(pid: pid, selfFDs: selfFDs, into: &result)
            }
        }
        var holders: [FileID: Set<pid_t>] = [:]
        for entry in result.entries {
            holders[FileID(device: entry.device, inode: entry.inode), default: []].insert(entry.pid)
        }
        if findSharers && !holders.isEmpty {
            let scanned = Set(pids)
            for pid in Self.allPids() where !scanned.contains(pid) && pid != me {
                for id in Self.fileIDs(pid: pid) where holders[id] != nil {
                    holders[id]!.insert(pid)
                }
            }
        }
        for i in result.entries.indices {
            let entry = result.entries[i]
            let all = holders[FileID(device: entry.device, inode: entry.inode)] ?? []
            result.entries[i].sharedWith = all.subtracting([entry.pid]).sorted()
        }
        return result
    }

    private func scan(pid: pid_t, selfFDs: Int32, into result: inout Result) {
        let fds: [Int32]
        switch Self.fdNumbers(pid: pid) {
        case .success(let list): fds = list
        case .failure(let err):
            let reason = err == .noSuchFileOrDirectory ? "no such process" : "cannot list its fds"
            result.errors.append(InventoryError(pid: pid, error: nil, message: "\(reason) (\(err.symbolicName))"))
            return
        }
        let target: TargetProcess
        do {
            target = try TargetProcess(pid: pid)
        } catch {
            result.errors.append(InventoryError(pid: pid, error: error, message: error.detail))
            return
        }
        for fd in fds {
            let raw: FileDescriptor
            do {
                raw = try backend.acquire(fd: fd, of: target)
            } catch {
                switch error.reason {
                case .fdNotOpen, .cannotReopen:
                    continue  // closed since readdir, or not reopenable (procfs)
                default:
                    // Permission and process errors hold for every fd: one line.
                    result.errors.append(InventoryError(pid: pid, error: error, message: error.detail))
                    return
                }
            }
            guard let file = try? AdoptedFile(descriptor: raw, pid: pid, fd: fd, backendName: backend.name) else {
                try? raw.close()
                continue
            }
            file.selfFDDirectory = selfFDs
            if let entry = entry(for: file) { result.entries.append(entry) }
        }
    }

    /// With the module: every fd described in the kernel, none adopted.
    private func scan(pid: pid_t, through module: ModuleInventoryReader, into result: inout Result) {
        do {
            let target = try TargetProcess(pid: pid)
            try module.forEachRecord(of: target) { record in
                let file = AdoptedFile(record: record, pid: pid, backendName: backend.name)
                if let entry = entry(for: file) { result.entries.append(entry) }
            }
        } catch {
            result.errors.append(InventoryError(pid: pid, error: error, message: error.detail))
        }
    }

    /// The row for `file`, if a handler takes it.
    private func entry(for file: AdoptedFile) -> InventoryEntry? {
        guard let handler = handlers.handler(for: file) else { return nil }
        let description = handler.describe(file)
        return InventoryEntry(
            pid: file.pid, fd: file.fd, type: handler.type, description: description,
            detail: (handler as? any ResourceListing)?.listDetail(description) ?? "",
            totalsKey: (handler as? any ResourceListing)?.totalsKey,
            // The fstat made by AdoptedFile a few µs ago: a second one
            // per fd (currentSize) cost 6% of a listing.
            device: file.device, inode: file.inode, size: Int(file.stat.st_size))
    }

    struct FileID: Hashable {
        let device: UInt64
        let inode: UInt64
    }

    /// Numeric entries of /proc/PID/fd.
    public static func fdNumbers(pid: pid_t) -> Swift.Result<[Int32], Errno> {
        numericEntries(of: "/proc/\(pid)/fd").map { $0.map { Int32($0) } }
    }

    /// Every pid in /proc.
    public static func allPids() -> [pid_t] {
        (try? numericEntries(of: "/proc").get())?.map { pid_t($0) } ?? []
    }

    /// (device, inode) of every fd of `pid` we may stat; none if we may not.
    /// Every process's fds are stat'ed for the sharer scan: fstatat relative
    /// to the open directory, with the name readdir gave, instead of a path
    /// built and walked from / for each fd.
    static func fileIDs(pid: pid_t) -> [FileID] {
        guard let dir = opendir("/proc/\(pid)/fd") else { return [] }
        defer { closedir(dir) }
        let directoryFD = dirfd(dir)
        let nameOffset = MemoryLayout<dirent>.offset(of: \dirent.d_name)!
        var ids: [FileID] = []
        var st = stat()
        while let entry = readdir(dir) {
            let name = (UnsafeRawPointer(entry) + nameOffset).assumingMemoryBound(to: CChar.self)
            guard name.pointee >= 48 && name.pointee <= 57 else { continue }  // ".", ".."
            if fstatat(directoryFD, name, &st, 0) == 0 {
                ids.append(FileID(device: UInt64(st.st_dev), inode: UInt64(st.st_ino)))
            }
        }
        return ids
    }

    private static func numericEntries(of path: String) -> Swift.Result<[Int], Errno> {
        guard let dir = opendir(path) else { return .failure(Errno(rawValue: Glibc.errno)) }
        defer { closedir(dir) }
        var numbers: [Int] = []
        while let entry = readdir(dir) {
            let number = withUnsafeBytes(of: entry.pointee.d_name) { raw -> Int? in
                var value = 0
                var any = false
                for byte in raw {
                    if byte == 0 { break }
                    guard byte >= 48 && byte <= 57 else { return nil }
                    value = value * 10 + Int(byte - 48)
                    any = true
                }
                return any ? value : nil
            }
            if let number { numbers.append(number) }
        }
        numbers.sort()
        return .success(numbers)
    }
}
