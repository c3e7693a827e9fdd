// SPDX-License-Identifier: Apache-2.0
import CShims
import Glibc
import SystemPackage

/// Which mapping of a process to adopt: any address inside it, or the
/// Nth buffer mapping (one a handler claims) as `adopt list` shows them.
public enum MappingSelector: Equatable, Sendable {
    case address(UInt64)
    case index(Int)

    /// "0x7f12a000" (hex, with 0x) or "140716" (decimal).
    public static func parseAddress(_ text: String) -> UInt64? {
        let lower = text.lowercased()
        if lower.hasPrefix("0x") { return UInt64(lower.dropFirst(2), radix: 16) }
        return UInt64(lower)
    }
}

/// The file behind one mapping, and the mapping.
public struct MappedFile {
    public let descriptor: FileDescriptor
    public let mapping: ProcessMapping
    /// "map_files", "kmod (handle)", "kmod (getmap)".
    public let via: String
    public let backendName: String
    public let backendPath: String?

    public init(descriptor: FileDescriptor, mapping: ProcessMapping, via: String, backendName: String, backendPath: String?) {
        self.descriptor = descriptor
        self.mapping = mapping
        self.via = via
        self.backendName = backendName
        self.backendPath = backendPath
    }
}

/// Taking the file behind a mapping: through a `MappingAcquisitionBackend`
/// (/proc/PID/map_files, which reopens the file by path: CAP_SYS_ADMIN or
/// CAP_CHECKPOINT_RESTORE, and not anonymous inodes; the module's GETMAP,
/// the file itself, GETFD's permission check). pidfd_getfd and
/// /proc/PID/fd reach fds only.
public enum MapAcquisition {
    /// The address `selector` names in `target`: itself, or the start of
    /// the Nth mapping `claims` claims.
    public static func address(_ selector: MappingSelector, of target: TargetProcess,
                               claims: MappingClaims) throws(AdoptError) -> UInt64 {
        let pid = target.pid
        switch selector {
        case .address(let a): return a
        case .index(let n):
            guard let maps = MapsReader().mappings(pid: pid, claims: claims) else {
                throw AdoptError(pid: pid, fd: nil, reason: Errno.current == .noSuchFileOrDirectory ? .noSuchProcess : .permissionDenied,
                                 errno: .current, "cannot read /proc/\(pid)/maps")
            }
            guard n >= 0 && n < maps.count else {
                let types = Set(claims.entries.map(\.type)).sorted().joined(separator: ", ")
                throw AdoptError(pid: pid, fd: nil, reason: .other, errno: .noSuchAddressOrDevice,
                                 "no buffer mapping #\(n): process \(pid) has \(maps.count) (\(types))")
            }
            return maps[n].start
        }
    }

    /// The file behind the mapping `selector` names, through `backend`,
    /// which must take mappings (the module, map_files); pidfd is refused.
    public static func acquire(_ selector: MappingSelector, of target: TargetProcess, backend: any AcquisitionBackend,
                               claims: MappingClaims) throws(AdoptError) -> MappedFile {
        let pid = target.pid
        let address = try address(selector, of: target, claims: claims)
        guard let backend = backend as? any MappingAcquisitionBackend else {
            throw AdoptError(pid: pid, fd: nil, reason: .backendUnavailable(backend.name), errno: Errno(rawValue: EOPNOTSUPP),
                             "a mapping cannot be reached by \(backend.name), which takes fds only: load the remotefd module (--via kmod), or use /proc/\(pid)/map_files (--via procfs, needs CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE)",
                             address: address)
        }
        return try backend.acquire(mappingAt: address, of: target)
    }

    // MARK: map_files

    /// What the kernel asks of a map_files opener (proc_map_files_get_link).
    public static let mapFilesRule = "CAP_SYS_ADMIN, or CAP_CHECKPOINT_RESTORE (Linux 5.9+), in the initial user namespace"
    static let moduleRemedy = "or load the remotefd module (--via kmod): a mapping then needs only the ptrace access adopting an fd needs"

    static func throughMapFiles(_ address: UInt64, of target: TargetProcess) throws(AdoptError) -> MappedFile {
        let pid = target.pid
        guard let maps = MapsReader().mappings(pid: pid, all: true) else {
            let err = Errno.current
            if err == .noSuchFileOrDirectory || err == .noSuchProcess {
                var e = AcquireFailure.explain(.noSuchProcess, pid: pid, fd: nil, backend: "map_files")
                e.address = address
                throw e
            }
            if err == .permissionDenied || err == .notPermitted {
                let diagnosis = PermissionDiagnosis(pid: pid)
                var error = AdoptError(pid: pid, fd: nil, reason: .permissionDenied, errno: err,
                                       "not allowed to read /proc/\(pid)/maps (\(diagnosis.summary)); /proc/\(pid)/map_files also needs \(mapFilesRule)",
                                       hints: diagnosis.remedies + [moduleRemedy], address: address)
                error.trace = diagnosis.steps
                throw error
            }
            throw AdoptError(pid: pid, fd: nil, reason: .other, errno: err,
                             "cannot read /proc/\(pid)/maps", address: address)
        }
        guard let mapping = maps.first(where: { $0.start <= address && address < $0.end }) else {
            throw nothingMapped(pid: pid, address: address)
        }
        guard mapping.hasFile else { throw noFile(pid: pid, address: address, mapping.kindDescription) }
        return try openMapFile(mapping, pid: pid, address: address)
    }

    static func openMapFile(_ mapping: ProcessMapping, pid: pid_t, address: UInt64) throws(AdoptError) -> MappedFile {
        let path = "/proc/\(pid)/map_files/\(mapping.range)"
        var raw = open(path, O_RDWR | O_CLOEXEC)
        if raw < 0 && (errno == EACCES || errno == EROFS) { raw = open(path, O_RDONLY | O_CLOEXEC) }
        guard raw >= 0 else {
            let err = Errno.current
            switch err {
            case .notPermitted, .permissionDenied:
                throw AdoptError(pid: pid, fd: nil, reason: .permissionDenied, errno: err,
                                 "\(path) needs \(mapFilesRule), besides ptrace access to process \(pid)",
                                 hints: [moduleRemedy], address: address)
            case .noSuchAddressOrDevice:
                throw AdoptError(pid: pid, fd: nil, reason: .cannotReopen, errno: err,
                                 "\(mapping.path) cannot be reopened by path (\(path)), as no anonymous inode (a dma-buf) can: load the remotefd module (--via kmod)",
                                 address: address)
            case .noSuchFileOrDirectory:
                throw AdoptError(pid: pid, fd: nil, reason: .noSuchProcess, errno: err,
                                 "\(path) is gone (the process exited or unmapped it)", address: address)
            default:
                throw AdoptError(pid: pid, fd: nil, reason: .other, errno: err, "cannot open \(path)", address: address)
            }
        }
        return MappedFile(descriptor: FileDescriptor(rawValue: raw), mapping: mapping, via: "map_files",
                          backendName: "map_files", backendPath: nil)
    }

    // MARK: the module

    static func throughModule(_ address: UInt64, of target: TargetProcess, kmod: KmodBackend) throws(AdoptError) -> MappedFile {
        let pid = target.pid
        if let err = kmod.openDevice() {
            throw AdoptError(pid: pid, fd: nil, reason: .backendUnavailable("kmod"), errno: err,
                             KmodBackend.cannotOpen(err), address: address)
        }
        guard kmod.features & UInt32(REMOTEFD_FEAT_GETMAP) != 0 else {
            throw AdoptError(pid: pid, fd: nil, reason: .backendUnavailable("kmod"), errno: Errno(rawValue: ENOTTY),
                             "the loaded remotefd module has no GETMAP (an older module): load this release's, or use /proc/\(pid)/map_files (--via procfs)",
                             address: address)
        }
        var request = remotefd_getmap()
        request.addr = address
        request.fd_flags = UInt32(O_CLOEXEC)
        let result: Result<Int32, Errno>
        let path: String
        do {
            (result, path) = try kmod.getmap(&request, of: target)
        } catch {
            var e = error
            e.address = address
            throw e
        }
        let mapping = ProcessMapping(
            start: request.start, end: request.end,
            perms: (request.prot & UInt32(PROT_READ) != 0 ? "r" : "-") + (request.prot & UInt32(PROT_WRITE) != 0 ? "w" : "-")
                + (request.prot & UInt32(PROT_EXEC) != 0 ? "x" : "-") + (request.map_flags & UInt32(REMOTEFD_MAP_SHARED) != 0 ? "s" : "p"),
            offset: request.pgoff, device: 0, inode: 0, path: "")
        switch result {
        case .success(let raw):
            return MappedFile(descriptor: FileDescriptor(rawValue: raw), mapping: mapping, via: "kmod (\(path))",
                              backendName: "kmod", backendPath: path)
        case .failure(.noSuchAddressOrDevice):
            throw nothingMapped(pid: pid, address: address)
        case .failure(let e) where e.rawValue == ENODEV:
            // Name it as maps does when we may read it ([stack], [vvar]…).
            var what = request.kind == UInt32(REMOTEFD_MAP_ANON) ? "anonymous memory (heap, stack or private anonymous)" : "a mapping without a file ([vvar], [vdso], a driver's PFN map)"
            if let maps = MapsReader().mappings(pid: pid, all: true),
               let m = maps.first(where: { $0.start <= address && address < $0.end }), !m.hasFile {
                what = m.kindDescription
            }
            throw noFile(pid: pid, address: address, what)
        case .failure(.notPermitted) where request.map_flags & UInt32(REMOTEFD_MAP_NEEDS_CAP) != 0:
            throw needsCapability(pid: pid, address: address)
        case .failure(let err):
            var e = AcquireFailure.explain(err, pid: pid, fd: nil, backend: "kmod", taking: "mappings")
            e.address = address
            throw e
        }
    }

    /// The module's GETMAP refused a file the process may never have held
    /// as an fd (REMOTEFD_MAP_NEEDS_CAP): map_files' rule, which the
    /// ptrace access that suffices for memfd, shm and dma-buf does not meet.
    static func needsCapability(pid: pid_t, address: UInt64) -> AdoptError {
        AdoptError(pid: pid, fd: nil, reason: .permissionDenied, errno: .notPermitted,
                   "the file behind this mapping may never have been an fd of the process (the executable, a System V segment, shared anonymous memory): handing it out needs \(mapFilesRule), as /proc/\(pid)/map_files does",
                   hints: ["run as a user with CAP_CHECKPOINT_RESTORE (e.g. root)"], address: address)
    }

    static func nothingMapped(pid: pid_t, address: UInt64) -> AdoptError {
        AdoptError(pid: pid, fd: nil, reason: .other, errno: .noSuchAddressOrDevice,
                   "nothing is mapped at this address", address: address)
    }

    static func noFile(pid: pid_t, address: UInt64, _ what: String) -> AdoptError {
        AdoptError(pid: pid, fd: nil, reason: .notAdoptable(kind: what), errno: Errno(rawValue: ENODEV),
                   "no file behind this address: it is \(what)", address: address)
    }
}

extension KmodBackend {
    public func acquire(mappingAt address: UInt64, of target: TargetProcess) throws(AdoptError) -> MappedFile {
        try MapAcquisition.throughModule(address, of: target, kmod: self)
    }

    public func acquire(known mapping: ProcessMapping, of target: TargetProcess) throws(AdoptError) -> MappedFile {
        try MapAcquisition.throughModule(mapping.start, of: target, kmod: self)
    }

    /// REMOTEFD_HANDLE_IOC_GETMAP through the target's handle when the
    /// module has handles, else REMOTEFD_IOC_GETMAP naming the target by
    /// pidfd (or pid). The ioctl's result and which path ran.
    func getmap(_ request: inout remotefd_getmap, of target: TargetProcess) throws(AdoptError) -> (Result<Int32, Errno>, String) {
        if hasHandles {
            var result: Result<Int32, Errno> = .failure(.staleNFSFileHandle)
            for _ in 0..<2 {
                let handle = try self.handle(for: target, fd: nil)
                request.target = 0
                request.flags = 0
                result = retryingOnEINTR({ rfd_ioctl_ptr(handle.rawValue, rfd_ioc_handle_getmap(), &request) })
                guard case .failure(.staleNFSFileHandle) = result else { break }
                try? target.moduleHandle?.close()
                target.moduleHandle = nil
            }
            return (result, "handle")
        }
        guard let device = openedDevice else { return (.failure(.noSuchFileOrDirectory), "getmap") }
        if let pidfd = target.pidfd {
            request.target = pidfd.rawValue
            request.flags = UInt32(REMOTEFD_TARGET_PIDFD)
        } else {
            request.target = target.pid
        }
        var result = retryingOnEINTR({ rfd_ioctl_ptr(device.rawValue, rfd_ioc_getmap(), &request) })
        var attempts = 1
        while case .failure(.resourceTemporarilyUnavailable) = result, attempts < 4 {
            attempts += 1
            result = retryingOnEINTR({ rfd_ioctl_ptr(device.rawValue, rfd_ioc_getmap(), &request) })
        }
        return (result, "getmap")
    }
}
