// SPDX-License-Identifier: Apache-2.0
import SystemPackage

/// One way of getting our own fd for a file another process holds.
/// Backends: `kmod` (the remotefd module), `pidfd` (pidfd_getfd(2)),
/// `procfs` (reopening /proc/PID/fd/N). What a backend can do beyond fds
/// it declares by conforming to `MappingAcquisitionBackend`,
/// `InventoryBackend` or `TargetHandleBackend`.
///
/// A new backend is one file with its type and one case of
/// `BackendChoice` (which makes it).
public protocol AcquisitionBackend {
    /// The name used by `--via` and printed as "via: NAME".
    var name: String { get }
    /// What an fd from this backend is, when that differs from the owner's
    /// (procfs reopens: a new open file description). Nil when it is the same.
    var semanticsNote: String? { get }
    /// Whether the backend can be used on this machine now, and if it is
    /// there but cannot be used, why (what `--via auto` says passing over it).
    var readiness: BackendReadiness { get }
    /// A new fd (close-on-exec) for `fd` of `target`, and which of its
    /// ways the backend took. Errors name the pid and fd and explain themselves.
    func acquire(fd: Int32, of target: TargetProcess) throws(AdoptError) -> AcquiredFD
    /// `acquire`, but nil for an fd that is not open: for a caller trying
    /// fd numbers (`adopt list`), to whom a closed one is no news and must
    /// cost no more than the failed call.
    func acquireIfOpen(fd: Int32, of target: TargetProcess) throws(AdoptError) -> AcquiredFD?
    /// Whether `acquireIfOpen` of a closed fd costs about one failed
    /// syscall (pidfd: one EBADF), so that a listing may try fd numbers
    /// instead of reading /proc/PID/fd.
    var probesClosedFDsCheaply: Bool { get }
}

/// An fd a backend took, and the way it took it where it has several
/// ("handle" or "getfd" for kmod): printed as "via: NAME (PATH)".
public struct AcquiredFD {
    public var descriptor: FileDescriptor
    public var path: String?

    public init(_ descriptor: FileDescriptor, path: String? = nil) {
        self.descriptor = descriptor
        self.path = path
    }
}

/// Whether a backend can be used now.
public enum BackendReadiness: Equatable, Sendable {
    case ready
    /// Not on this machine (no module loaded, no syscall): `auto` passes
    /// over it without a word.
    case absent
    /// There, but not usable by us now; the reason, in words.
    case unusable(String)
}

/// A backend that also takes the file behind a mapping (`adopt PID --map`).
public protocol MappingAcquisitionBackend: AcquisitionBackend {
    /// The file behind the mapping of `target` containing `address`.
    func acquire(mappingAt address: UInt64, of target: TargetProcess) throws(AdoptError) -> MappedFile
    /// The file behind `mapping`, a line of the target's maps just read (a
    /// listing): where the backend can, without reading maps again.
    func acquire(known mapping: ProcessMapping, of target: TargetProcess) throws(AdoptError) -> MappedFile
}

/// A backend that describes a process's whole fd table in the kernel,
/// adopting nothing (the module's inventory).
public protocol InventoryBackend: AcquisitionBackend {
    /// A reader for this backend as it is now; nil when it cannot (an
    /// older module without handles).
    func inventoryReader() -> ModuleInventoryReader?
}

/// A backend whose permission check is asked once per target, then kept
/// in a handle (`TargetProcess.moduleHandle`) that later calls go through.
public protocol TargetHandleBackend: AcquisitionBackend {
    /// Whether handles are used (the loaded module has them).
    var hasHandles: Bool { get }
    /// The handle on `target`, made on first use.
    func handle(for target: TargetProcess, fd: Int32?) throws(AdoptError) -> FileDescriptor
}

extension AcquisitionBackend {
    public var semanticsNote: String? { nil }
    public var probesClosedFDsCheaply: Bool { false }
    public var isAvailable: Bool { readiness == .ready }

    public func acquireIfOpen(fd: Int32, of target: TargetProcess) throws(AdoptError) -> AcquiredFD? {
        do {
            return try acquire(fd: fd, of: target)
        } catch {
            if case .fdNotOpen = error.reason { return nil }
            throw error
        }
    }
}
