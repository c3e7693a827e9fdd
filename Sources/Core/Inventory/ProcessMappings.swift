// SPDX-License-Identifier: Apache-2.0
import CShims
import Glibc
import Synchronization

/// One line of /proc/PID/maps.
public struct ProcessMapping: Equatable, Sendable {
    public var start: UInt64
    public var end: UInt64
    /// "rw-s": the fourth letter is 's' for MAP_SHARED, 'p' for private.
    public var perms: String
    /// File offset of `start`, in bytes.
    public var offset: UInt64
    /// st_dev as fstat gives it (makedev of the "MM:mm" column).
    public var device: UInt64
    public var inode: UInt64
    /// The path column: a file, "[stack]", "[vvar]", "" for anonymous memory.
    public var path: String
    /// Its place among the process's buffer mappings (`adopt PID
    /// --map-index N`), when read as one of them; nil otherwise.
    public var index: Int?

    public init(start: UInt64, end: UInt64, perms: String, offset: UInt64, device: UInt64, inode: UInt64, path: String) {
        self.start = start
        self.end = end
        self.perms = perms
        self.offset = offset
        self.device = device
        self.inode = inode
        self.path = path
    }

    public var length: UInt64 { end - start }
    public var isShared: Bool { perms.utf8.count >= 4 && Array(perms.utf8)[3] == UInt8(ascii: "s") }
    /// "7f12a000-7f12b000".
    public var range: String { String(start, radix: 16) + "-" + String(end, radix: 16) }

    /// The type of the handler whose `MappingClaim` matches the path, and
    /// the buffer's name as that claim reads it: set by `MapsReader` when
    /// given the claims; nil for mappings no handler claims.
    public var type: String?
    public var name: String?

    /// What a mapping without a file is, in words (for refusals).
    public var kindDescription: String {
        switch path {
        case "": return "anonymous memory"
        case "[stack]": return "the stack"
        case "[heap]": return "the heap"
        case "[vvar]", "[vvar_vclock]": return "\(path) (the kernel's vDSO data page)"
        case "[vdso]": return "[vdso] (the kernel's vDSO code)"
        case "[vsyscall]": return "[vsyscall] (the legacy vsyscall page)"
        default:
            if path.hasPrefix("[anon:") { return "anonymous memory \(path)" }
            if path.hasPrefix("[") { return "\(path) (a mapping without a file)" }
            return "a mapping of \(path)"
        }
    }

    /// Whether a file is behind it (anonymous memory, the stack, [vvar] … have none).
    public var hasFile: Bool { inode != 0 || (path.hasPrefix("/") && !path.hasPrefix("[")) }
}

/// Reads /proc/PID/maps and /proc/PID/smaps with one reusable buffer: a
/// system-wide listing reads maps for every process, so no String per
/// line is made unless the line is a buffer's (or `all` is asked).
public final class MapsReader {
    private var buffer: [UInt8]

    public init(capacity: Int = 1 << 16) {
        buffer = [UInt8](repeating: 0, count: capacity)
    }

    /// The whole file in `buffer`: its length, or nil with errno set.
    private func slurp(_ path: String) -> Int? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var used = 0
        while true {
            if used == buffer.count { buffer.append(contentsOf: repeatElement(0, count: buffer.count)) }
            let n = buffer.withUnsafeMutableBytes { raw in
                read(fd, raw.baseAddress! + used, raw.count - used)
            }
            if n < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if n == 0 { return used }
            used += n
        }
    }

    /// Whether PROCMAP_QUERY answered here (nil: not tried yet).
    private static let procmapQueryWorks = Mutex<Bool?>(nil)

    /// The mappings of `pid` that a handler claims (`claims`: each one's
    /// `type` and `name` set), or with `all` every mapping (claimed ones
    /// annotated). Nil with errno when maps cannot be read. Claimed only:
    /// with PROCMAP_QUERY (Linux 6.11+) the kernel hands over the
    /// file-backed VMAs one by one, no line formatted for the others;
    /// else the text.
    public func mappings(pid: pid_t, claims: MappingClaims = .none, all: Bool = false) -> [ProcessMapping]? {
        if !all && claims.isEmpty { return [] }
        if !all && Self.procmapQueryWorks.withLock({ $0 }) != false {
            let fd = open("/proc/\(pid)/maps", O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { return nil }
            defer { close(fd) }
            switch queryBuffers(fd, claims) {
            case .found(let found):
                Self.procmapQueryWorks.withLock { $0 = true }
                return found
            case .failed(let err):
                // No address space (a kernel thread, a zombie), refused…:
                // as reading maps would fail or show nothing.
                if err == EACCES || err == EPERM {
                    errno = err
                    return nil
                }
                return []
            case .unsupported:
                Self.procmapQueryWorks.withLock { $0 = false }
            }
        }
        guard let length = slurp("/proc/\(pid)/maps") else { return nil }
        var result: [ProcessMapping] = []
        buffer.withUnsafeBufferPointer { bytes in
            var i = 0
            while i < length {
                var lineEnd = i
                while lineEnd < length && bytes[lineEnd] != 10 { lineEnd += 1 }
                if var m = Self.parse(bytes, i, lineEnd, claims: claims, all: all) {
                    if !all { m.index = result.count }
                    result.append(m)
                }
                i = lineEnd + 1
            }
        }
        return result
    }

    private enum QueryResult {
        case found([ProcessMapping])
        case failed(Int32)
        case unsupported
    }

    /// Buffer mappings through PROCMAP_QUERY on an open maps fd;
    /// `.unsupported` when the kernel does not have it (ENOTTY, EINVAL).
    private func queryBuffers(_ fd: Int32, _ claims: MappingClaims) -> QueryResult {
        var result: [ProcessMapping] = []
        var name = [CChar](repeating: 0, count: 4096)
        var addr: UInt64 = 0
        while true {
            var q = rfd_procmap_query()
            q.size = UInt64(MemoryLayout<rfd_procmap_query>.size)
            q.query_flags = UInt64(RFD_PROCMAP_QUERY_COVERING_OR_NEXT_VMA | RFD_PROCMAP_QUERY_FILE_BACKED_VMA)
            q.query_addr = addr
            let rc = name.withUnsafeMutableBufferPointer { buf -> Int32 in
                q.vma_name_addr = UInt64(UInt(bitPattern: buf.baseAddress))
                q.vma_name_size = UInt32(buf.count)
                return rfd_ioctl_ptr(fd, rfd_procmap_query_cmd(), &q)
            }
            if rc < 0 {
                switch errno {
                case ENOENT: return .found(result)  // no VMA at or above addr
                case EINTR: continue
                case ENOTTY, EINVAL, EOPNOTSUPP: return result.isEmpty ? .unsupported : .found(result)
                case let err: return result.isEmpty ? .failed(err) : .found(result)
                }
            }
            addr = q.vma_end
            // The claims' byte test before making a String.
            let length = min(Int(q.vma_name_size), name.count)
            guard length > 1 else { continue }
            let claimed = name.withUnsafeBufferPointer { raw in
                raw.withMemoryRebound(to: UInt8.self) { claims.match(UnsafeBufferPointer(rebasing: $0[..<(length - 1)])) }
            }
            guard claimed != nil else { continue }
            let path = String(cString: name)
            let f = q.vma_flags
            let perms = (f & 1 != 0 ? "r" : "-") + (f & 2 != 0 ? "w" : "-") + (f & 4 != 0 ? "x" : "-") + (f & 8 != 0 ? "s" : "p")
            let major = UInt64(q.dev_major), minor = UInt64(q.dev_minor)
            let device = (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xff) << 12) | ((major & ~0xfff) << 32)
            var m = ProcessMapping(start: q.vma_start, end: q.vma_end, perms: perms, offset: q.vma_offset,
                                   device: device, inode: q.inode, path: path)
            m.index = result.count
            claims.annotate(&m)
            result.append(m)
        }
    }

    /// Rss and Pss in bytes of each mapping of `pid` starting at one of
    /// `starts`, from /proc/PID/smaps (read only for processes that have
    /// buffer mappings: it walks the page tables). The kernel formats smaps
    /// a few VMAs per read as it is read, so it is read in pages and left
    /// as soon as every wanted VMA's Rss and Pss are in: buffer mappings
    /// usually lie below the libraries and the stack, whose records (most
    /// of the file, and of its page-table walk) are then never made.
    public func residency(pid: pid_t, starts: Set<UInt64>) -> [UInt64: (rss: Int, pss: Int)] {
        let fd = open("/proc/\(pid)/smaps", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return [:] }
        defer { close(fd) }
        let chunk = 4096
        var result: [UInt64: (rss: Int, pss: Int)] = [:]
        var complete = 0
        var current: UInt64?
        var pending = 0  // bytes of an unfinished line at the buffer's start
        while complete < starts.count {
            if pending + chunk > buffer.count { buffer.append(contentsOf: repeatElement(0, count: buffer.count)) }
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + pending, chunk) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            let length = pending + n
            let consumed = buffer.withUnsafeBufferPointer { bytes -> Int in
                var i = 0
                while i < length {
                    var lineEnd = i
                    while lineEnd < length && bytes[lineEnd] != 10 { lineEnd += 1 }
                    guard lineEnd < length else { break }  // the rest comes with the next read
                    // A header starts with a hex digit; fields with a capital letter.
                    let first = bytes[i]
                    if (first >= 48 && first <= 57) || (first >= 97 && first <= 102) {
                        var j = i
                        let start = Self.hex(bytes, &j, lineEnd)
                        current = starts.contains(start) ? start : nil
                        if let current { result[current] = (0, 0) }
                    } else if let c = current {
                        if Self.hasPrefix(bytes, i, lineEnd, "Rss:") {
                            result[c]!.rss = Self.kilobytes(bytes, i + 4, lineEnd) * 1024
                        } else if Self.hasPrefix(bytes, i, lineEnd, "Pss:") {
                            result[c]!.pss = Self.kilobytes(bytes, i + 4, lineEnd) * 1024
                            complete += 1  // Pss follows Rss
                            current = nil
                        }
                    }
                    i = lineEnd + 1
                }
                return i
            }
            pending = length - consumed
            if pending > 0 {
                buffer.withUnsafeMutableBytes { raw in
                    _ = memmove(raw.baseAddress!, raw.baseAddress! + consumed, pending)
                }
            }
        }
        return result
    }

    private static func hasPrefix(_ b: UnsafeBufferPointer<UInt8>, _ i: Int, _ end: Int, _ prefix: StaticString) -> Bool {
        let n = prefix.utf8CodeUnitCount
        guard end - i >= n else { return false }
        let p = prefix.utf8Start
        for k in 0..<n where b[i + k] != p[k] { return false }
        return true
    }

    private static func kilobytes(_ b: UnsafeBufferPointer<UInt8>, _ from: Int, _ end: Int) -> Int {
        var i = from
        while i < end && b[i] == 32 { i += 1 }
        var v = 0
        while i < end && b[i] >= 48 && b[i] <= 57 { v = v * 10 + Int(b[i] - 48); i += 1 }
        return v
    }

    private static func hex(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int, _ end: Int) -> UInt64 {
        var v: UInt64 = 0
        while i < end {
            let c = b[i]
            let d: UInt64
            if c >= 48 && c <= 57 { d = UInt64(c - 48) } else if c >= 97 && c <= 102 { d = UInt64(c - 87) } else { break }
            v = v << 4 | d
            i += 1
        }
        return v
    }

    /// One maps line [i, end): "start-end perms offset MM:mm inode   path".
    static func parse(_ b: UnsafeBufferPointer<UInt8>, _ from: Int, _ end: Int, claims: MappingClaims,
                      all: Bool) -> ProcessMapping? {
        var i = from
        let start = hex(b, &i, end); i += 1
        let stop = hex(b, &i, end); i += 1
        let permsStart = i
        while i < end && b[i] != 32 { i += 1 }
        let permsEnd = i; i += 1
        let offset = hex(b, &i, end); i += 1
        let major = hex(b, &i, end); i += 1
        let minor = hex(b, &i, end); i += 1
        var inode: UInt64 = 0
        while i < end && b[i] >= 48 && b[i] <= 57 { inode = inode * 10 + UInt64(b[i] - 48); i += 1 }
        while i < end && b[i] == 32 { i += 1 }
        let pathStart = i
        let claim = claims.match(UnsafeBufferPointer(rebasing: b[pathStart..<end]))
        if !all && claim == nil { return nil }
        let path = String(decoding: UnsafeBufferPointer(rebasing: b[pathStart..<end]), as: UTF8.self)
        let perms = String(decoding: UnsafeBufferPointer(rebasing: b[permsStart..<permsEnd]), as: UTF8.self)
        let device = (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xff) << 12) | ((major & ~0xfff) << 32)
        var m = ProcessMapping(start: start, end: stop, perms: perms, offset: offset,
                               device: device, inode: inode, path: path)
        if let claim {
            m.type = claims.entries[claim].type
            m.name = claims.entries[claim].claim.name(path)
        }
        return m
    }
}
