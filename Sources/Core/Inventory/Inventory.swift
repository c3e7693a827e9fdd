// SPDX-License-Identifier: Apache-2.0
import Glibc
import Logging
import SystemPackage

/// One adoptable buffer found in a process (or, for `adopt list --all`,
/// held by none).
public struct InventoryEntry {
    /// The process holding it; nil for a resource no process holds.
    public let pid: pid_t?
    /// How the process holds it: its first fd, else its first mapping; an
    /// IPC id for a resource no process holds.
    public let origin: BufferOrigin
    public let type: String
    /// The handler's whole description: only when the scan was asked to
    /// describe (`--json`); a listing shows the columns below.
    public let description: Description?
    /// The NAME, DETAIL and totals value: `ResourceListing.listColumns`.
    public let name: String?
    public let detail: String
    /// The key the handler totals by (e.g. "exporter"), and its value.
    public let totalsKey: String?
    public let totalsValue: String?
    public let device: UInt64
    public let inode: UInt64
    public let size: Int
    /// Other processes holding the same inode (by fd or by mapping).
    public internal(set) var sharedWith: [pid_t] = []
    /// This process's mappings of the buffer (on the first row of the
    /// buffer in the process: a buffer held both ways is one row).
    public internal(set) var mappings: [ProcessMapping] = []
    /// Resident bytes of those mappings, and their proportional share, as
    /// the claiming handler's `MappingCounting` says: from smaps, or the
    /// mapped size shared by the mappers. Nil when not mapped.
    public internal(set) var rss: Int?
    public internal(set) var pss: Int?

    /// "fd", "map", "fd+map", or "none" (no process holds it).
    public var held: String {
        switch origin {
        case .fd: return mappings.isEmpty ? "fd" : "fd+map"
        case .mapping: return "map"
        case .ipc, .received: return "none"
        }
    }
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
    public let handlers: HandlerRegistry
    public let backend: any AcquisitionBackend
    /// Each handler's listing facts, looked up once, not per fd.
    private let rowMakers: [RowMaker]
    /// The handlers' claims on mappings.
    private let claims: MappingClaims
    /// statfs answers shared by every fd of a scan.
    private let filesystems = FilesystemCache()

    /// Where its decisions are logged (silent by default).
    public let logger: Logger

    public init(handlers: HandlerRegistry, backend: any AcquisitionBackend, logger: Logger = .silent) {
        self.handlers = handlers
        self.backend = backend
        self.logger = logger
        rowMakers = handlers.handlers.map(RowMaker.init)
        claims = MappingClaims(handlers)
    }

    public struct Result {
        public var entries: [InventoryEntry] = []
        public var errors: [InventoryError] = []
        /// How the fds were read: "kmod (inventory)" (described in the
        /// kernel, nothing adopted), else the backend adopting each fd.
        public var method = ""
    }

    /// Scans `pids`. With `findSharers`, also looks through every other
    /// process's fd table (a stat per fd, no adoption) and maps for the
    /// same inodes. With `mappings`, the mappings a handler claims
    /// (`MappingClaim`) are joined to the fd rows by (device, inode), or
    /// listed as mapped-only rows (origin `.mapping`).
    /// With `residency` false, smaps is not read: rows counted by smaps
    /// get no Rss/Pss (nil); the others still get theirs (from maps).
    /// With `describe`, every entry carries its handler's whole description.
    /// With `unheld`, the resources no process holds are added
    /// (`IdentifiedResources.unheld`: `adopt list --all`).
    public func scan(pids: [pid_t], findSharers: Bool = true, mappings: Bool = true, residency: Bool = true,
                     describe: Bool = false, unheld: Bool = false) -> Result {
        var result = Result()
        let maps = MapsReader()
        /// Which processes map each buffer counted by its mappers (the Pss divisor).
        var mappers: [FileID: Set<pid_t>] = [:]
        // Every adopted fd's link, read without a path walk each.
        let links = ListingLinks()
        let me = getpid()
        let module = (backend as? any InventoryBackend)?.inventoryReader()
        result.method = module != nil ? "\(backend.name) (inventory)" : backend.name
        logger.info(module != nil
            ? "list: fd tables read through \(backend.name)'s inventory (nothing adopted)"
            : "list: each fd adopted through \(backend.name)\(backend is any InventoryBackend ? " (its inventory is not usable here)" : "")")
        for pid in pids where pid != me {
            let first = result.entries.count
            let target: TargetProcess?
            if let module {
                target = scan(pid: pid, through: module, describe: describe, into: &result)
            } else {
                target = scan(pid: pid, links: links, describe: describe, into: &result)
            }
            if mappings {
                addMappings(pid: pid, target: target, from: first, reader: maps, residency: residency,
                            describe: describe, into: &result, mappers: &mappers)
            }
        }
        // SHARED-WITH: only a sharer scan or a second listed process can fill it.
        var holders = findSharers || Set(pids).subtracting([me]).count > 1 ? Holders(result.entries) : nil
        if findSharers && !result.entries.isEmpty {
            let scanned = Set(pids)
            for pid in Self.allPids() where !scanned.contains(pid) && pid != me {
                for id in Self.fileIDs(pid: pid) { holders?.add(pid, ifListed: id) }
                guard mappings else { continue }
                for m in maps.mappings(pid: pid, claims: claims) ?? [] {
                    let id = FileID(device: m.device, inode: m.inode)
                    guard holders?.add(pid, ifListed: id) == true else { continue }
                    if counting(m) == .mappedSizeSharedByMappers { mappers[id, default: []].insert(pid) }
                }
            }
        }
        // Counted by mappers: Pss = Rss / the number of processes mapping it.
        for i in result.entries.indices where claims.countedByMappers.contains(result.entries[i].type) {
            guard let rss = result.entries[i].rss else { continue }
            let n = mappers[FileID(device: result.entries[i].device, inode: result.entries[i].inode)]?.count ?? 1
            result.entries[i].pss = rss / max(n, 1)
        }
        if let holders, holders.anyShared {
            for i in result.entries.indices {
                guard let pid = result.entries[i].pid else { continue }
                result.entries[i].sharedWith = holders.others(
                    of: pid, FileID(device: result.entries[i].device, inode: result.entries[i].inode))
            }
        }
        if unheld { addUnheld(describe: describe, into: &result) }
        return result
    }

    /// How `m`'s memory is counted: its claim's rule.
    private func counting(_ m: ProcessMapping) -> MappingCounting {
        m.type.flatMap { claims.counting(ofType: $0) } ?? .smaps
    }

    /// The rows of resources no process holds, from each handler that can
    /// list them (`IdentifiedResources`).
    private func addUnheld(describe: Bool, into result: inout Result) {
        for maker in rowMakers {
            guard let source = maker.handler as? any IdentifiedResources else { continue }
            for resource in source.unheld() {
                result.entries.append(InventoryEntry(
                    pid: nil, origin: .ipc(kind: source.idName, id: resource.id), type: maker.type,
                    description: describe ? resource.description : nil,
                    name: resource.columns.name, detail: resource.columns.detail,
                    totalsKey: maker.totalsKey, totalsValue: resource.columns.totalsValue,
                    device: resource.device, inode: resource.inode, size: resource.size))
            }
        }
    }

    /// The fd rows of `pid`; the target, for its mappings, when it could be opened.
    ///
    /// Which fds are open: where the kernel counts them (the size of
    /// /proc/PID/fd, 6.2 on), there are 64 or more and the backend's misses
    /// are cheap (pidfd), fd numbers are tried from 0 up until that many
    /// were taken — a miss is one EBADF, cheaper than readdir, which builds
    /// a dentry per fd (≈ 1 µs each, a miss ≈ 0.5). A sparse table (more
    /// misses than half the fds + 16) goes on with readdir for the numbers
    /// above. Smaller tables (one getdents, often sparse: a shell's 0, 1, 2
    /// and 255), older kernels and the other backends use readdir alone.
    @discardableResult
    private func scan(pid: pid_t, links: ListingLinks, describe: Bool, into result: inout Result) -> TargetProcess? {
        let count: Int
        switch Self.openFDCount(pid: pid) {
        case .success(let n): count = n
        case .failure(let err):
            result.errors.append(Self.listingError(pid: pid, err))
            return nil
        }
        let target: TargetProcess
        do {
            target = try TargetProcess(pid: pid)
        } catch {
            result.errors.append(InventoryError(pid: pid, error: error, message: error.detail))
            return nil
        }
        result.entries.reserveCapacity(result.entries.count + count)
        /// Adds `fd`'s row; false when the process cannot be read further.
        func take(_ fd: Int32) -> (open: Bool, goOn: Bool) {
            let raw: AcquiredFD
            do {
                guard let taken = try backend.acquireIfOpen(fd: fd, of: target) else { return (false, true) }
                raw = taken
            } catch {
                // Not reopenable (procfs): skip it. Permission and process
                // errors hold for every fd: one line.
                if case .cannotReopen = error.reason { return (true, true) }
                result.errors.append(InventoryError(pid: pid, error: error, message: error.detail))
                return (true, false)
            }
            var st = Glibc.stat()
            guard fstat(raw.descriptor.rawValue, &st) == 0,
                  let facts = try? filesystems.facts(of: raw.descriptor.rawValue, device: UInt64(st.st_dev)) else {
                try? raw.descriptor.close()
                return (true, true)
            }
            // A table row straight from the handlers' listRow where they
            // can tell (no AdoptedFile); --json describes every file.
            if !describe {
                let listed = ListedFile(pid: pid, fd: fd, descriptor: raw.descriptor.rawValue, stat: st,
                                        filesystemMagic: facts.magic, filesystemBlockSize: facts.blockSize, links: links)
                switch row(for: listed) {
                case .none:
                    try? raw.descriptor.close()
                    return (true, true)
                case .entry(let entry):
                    try? raw.descriptor.close()
                    result.entries.append(entry)
                    return (true, true)
                case .needsFile:
                    break
                }
            }
            let file = AdoptedFile(descriptor: raw.descriptor, pid: pid, origin: .fd(fd), backendName: backend.name, stat: st,
                                   filesystemMagic: facts.magic, filesystemBlockSize: facts.blockSize)
            file.ownLinks = links.reader
            if let entry = entry(for: file, describe: describe) { result.entries.append(entry) }
            return (true, true)
        }
        var next: Int32 = 0
        var found = 0
        let probe = count >= 64 && backend.probesClosedFDsCheaply
        while probe && found < count && Int(next) - found <= count / 2 + 16 {
            let (open, goOn) = take(next)
            next += 1
            guard goOn else { return target }
            if open { found += 1 }
        }
        guard !probe || found < count else { return target }
        switch Self.fdNumbers(pid: pid) {
        case .success(let fds):
            for fd in fds where fd >= next {
                guard take(fd).goOn else { break }
            }
        case .failure(let err):
            result.errors.append(Self.listingError(pid: pid, err))
        }
        return target
    }

    private static func listingError(pid: pid_t, _ err: Errno) -> InventoryError {
        let reason = err == .noSuchFileOrDirectory ? "no such process" : "cannot list its fds"
        return InventoryError(pid: pid, error: nil, message: "\(reason) (\(err.symbolicName))")
    }

    /// How many fds `pid` has open: the size of /proc/PID/fd (Linux 6.2
    /// on); 0 where the kernel does not count them.
    static func openFDCount(pid: pid_t) -> Swift.Result<Int, Errno> {
        var st = stat()
        guard stat("/proc/\(pid)/fd", &st) == 0 else { return .failure(Errno(rawValue: Glibc.errno)) }
        return .success(Int(st.st_size))
    }

    /// With the module: every fd described in the kernel, none adopted.
    @discardableResult
    private func scan(pid: pid_t, through module: ModuleInventoryReader, describe: Bool,
                      into result: inout Result) -> TargetProcess? {
        var opened: TargetProcess?
        do {
            let target = try TargetProcess(pid: pid)
            opened = target
            try module.forEachRecord(of: target) { record in
                if !describe {
                    switch row(for: ListedFile(pid: pid, record: record)) {
                    case .none: return
                    case .entry(let entry): return result.entries.append(entry)
                    case .needsFile: break
                    }
                }
                let file = AdoptedFile(record: ModuleFileRecord(record), pid: pid, backendName: backend.name)
                if let entry = entry(for: file, describe: describe) { result.entries.append(entry) }
            }
        } catch {
            result.errors.append(InventoryError(pid: pid, error: error, message: error.detail))
        }
        return opened
    }

    /// Joins `pid`'s buffer mappings to its rows from `first` on (one row
    /// per buffer: the first fd's), or adds mapped-only rows; Rss and Pss
    /// from smaps (read only when there are buffer mappings).
    private func addMappings(pid: pid_t, target opened: TargetProcess?, from first: Int, reader: MapsReader,
                             residency readSmaps: Bool, describe: Bool, into result: inout Result,
                             mappers: inout [FileID: Set<pid_t>]) {
        guard let found = reader.mappings(pid: pid, claims: claims), !found.isEmpty else { return }
        var order: [FileID] = []
        var groups: [FileID: [ProcessMapping]] = [:]
        for m in found {
            let id = FileID(device: m.device, inode: m.inode)
            if groups[id] == nil { order.append(id) }
            groups[id, default: []].append(m)
        }
        // smaps only for mappings counted by it.
        let smapsStarts = readSmaps ? Set(found.filter { counting($0) == .smaps }.map(\.start)) : []
        let residency = smapsStarts.isEmpty ? [:] : reader.residency(pid: pid, starts: smapsStarts)
        var target = opened
        for id in order {
            let group = groups[id]!
            let byMappers = counting(group[0]) == .mappedSizeSharedByMappers
            if byMappers { mappers[id, default: []].insert(pid) }
            let index: Int
            if let i = result.entries[first...].firstIndex(where: { $0.device == id.device && $0.inode == id.inode }) {
                index = i
            } else {
                if target == nil { target = try? TargetProcess(pid: pid) }
                result.entries.append(mappedOnlyEntry(pid: pid, group, target: target, describe: describe))
                index = result.entries.count - 1
            }
            var rss = 0, pss = 0
            if byMappers {
                let mapped = group.reduce(0) { $0 + Int($1.length) }
                rss = result.entries[index].size > 0 ? min(mapped, result.entries[index].size) : mapped
                pss = rss
            } else {
                for m in group {
                    rss += residency[m.start]?.rss ?? 0
                    pss += residency[m.start]?.pss ?? 0
                }
            }
            result.entries[index].mappings = group
            guard byMappers || readSmaps else { continue }
            result.entries[index].rss = rss
            result.entries[index].pss = pss
        }
    }

    /// A buffer `pid` holds by mappings only: the file taken through the
    /// backend when it takes mappings (the module's GETMAP), else
    /// map_files, and described by its handler; where that is refused,
    /// the facts the claiming handler reads without taking it
    /// (`MappingAlternative.facts`); else from maps alone.
    private func mappedOnlyEntry(pid: pid_t, _ group: [ProcessMapping], target: TargetProcess?,
                                 describe: Bool) -> InventoryEntry {
        let m = group[0]
        let mappingBackend = backend as? any MappingAcquisitionBackend ?? ProcfsBackend()
        if let target, let mapped = try? mappingBackend.acquire(known: m, of: target) {
            if let file = try? AdoptedFile(descriptor: mapped.descriptor, pid: pid, origin: .mapping(m.start),
                                           backendName: mapped.backendName) {
                file.mapping = m
                if var entry = entry(for: file, describe: describe) {
                    entry.mappings = group
                    return entry
                }
            } else {
                try? mapped.descriptor.close()
            }
        }
        if let type = m.type, let alternative = handlers.handler(type: type) as? any MappingAlternative,
           let file = alternative.facts(of: m, pid: pid), var entry = entry(for: file, describe: describe) {
            entry.mappings = group
            return entry
        }
        var description = Description()
        description.append("name", m.name.map { Description.Value.string($0) } ?? .null)
        let size = group.map { Int($0.offset + $0.length) }.max() ?? 0
        return InventoryEntry(pid: pid, origin: .mapping(m.start), type: m.type ?? "?", description: describe ? description : nil,
                              name: m.name,
                              detail: "(not taken: \(mappingBackend.name == "procfs" ? "map_files" : mappingBackend.name) refused)",
                              totalsKey: nil, totalsValue: nil,
                              device: m.device, inode: m.inode, size: size)
    }

    /// A handler and what its rows need of it. A class, so that a row
    /// borrows it instead of copying two existentials (a tenth of the
    /// Swift work per row of `adopt list`).
    private final class RowMaker {
        let handler: any ResourceHandler
        /// The handler's `ResourceListing`, if it has one.
        let listing: (any ResourceListing)?
        let type: String
        let totalsKey: String?

        init(_ handler: any ResourceHandler) {
            self.handler = handler
            listing = handler as? any ResourceListing
            type = handler.type
            totalsKey = listing?.totalsKey
        }

        func listRow(_ file: ListedFile) -> ListedRow { listing?.listRow(file) ?? .needsFile }

        /// The row of `file`, which the handler's probe took.
        func entry(for file: AdoptedFile, describe: Bool) -> InventoryEntry {
            // A handler without a listing is described for its name.
            let described = describe || listing == nil ? handler.describe(file) : nil
            var columns: ListColumns
            if let described {
                columns = listing?.listColumns(from: described) ?? ListColumns(name: described.name, detail: "")
            } else if case .row(let row) = listing!.listRow(ListedFile(file)) {
                columns = row
            } else {
                columns = listing!.listColumns(from: handler.describe(file))
            }
            // The fstat made by AdoptedFile a few µs ago: a second one
            // per fd (currentSize) cost 6% of a listing.
            return entry(pid: file.pid, origin: file.origin, stat: file.stat, columns, description: describe ? described : nil)
        }

        func entry(pid: pid_t?, origin: BufferOrigin, stat: stat, _ columns: ListColumns,
                   description: Description? = nil) -> InventoryEntry {
            InventoryEntry(
                pid: pid, origin: origin, type: type, description: description,
                name: columns.name, detail: columns.detail,
                totalsKey: totalsKey, totalsValue: columns.totalsValue,
                device: UInt64(stat.st_dev), inode: UInt64(stat.st_ino), size: Int(stat.st_size))
        }
    }

    private enum ListedDecision {
        /// No handler takes the file.
        case none
        case entry(InventoryEntry)
        /// A handler needs an `AdoptedFile` to decide.
        case needsFile
    }

    /// The row for `listed` as the handlers' `listRow` tell it, in their order.
    private func row(for listed: ListedFile) -> ListedDecision {
        for maker in rowMakers {
            switch maker.listRow(listed) {
            case .notMine: continue
            case .row(let columns): return .entry(maker.entry(pid: listed.pid, origin: listed.origin, stat: listed.stat, columns))
            case .needsFile: return .needsFile
            }
        }
        return .none
    }

    /// The row for `file`, if a handler takes it.
    private func entry(for file: AdoptedFile, describe: Bool) -> InventoryEntry? {
        guard let index = handlers.index(for: file) else { return nil }
        return rowMakers[index].entry(for: file, describe: describe)
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
