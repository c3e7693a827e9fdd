import SystemPackage

/// One way of getting our own fd for a file another process holds.
/// Backends: `kmod` (the remotefd module), `pidfd` (pidfd_getfd(2)),
/// `procfs` (reopening /proc/PID/fd/N).
public protocol AcquisitionBackend {
    /// The name used by `--via` and printed as "via: NAME".
    var name: String { get }
    /// What an fd from this backend is, when that differs from the owner's
    /// (procfs reopens: a new open file description). Nil when it is the same.
    var semanticsNote: String? { get }
    /// Whether the backend can be used on this machine now.
    var isAvailable: Bool { get }
    /// Returns a new fd (close-on-exec) for `fd` of `target`. Errors name
    /// the pid and fd and explain themselves.
    func acquire(fd: Int32, of target: TargetProcess) throws(AdoptError) -> FileDescriptor
    /// `acquire`, but nil for an fd that is not open: for a caller trying
    /// fd numbers (`adopt list`), to whom a closed one is no news and must
    /// cost no more than the failed call.
    func acquireIfOpen(fd: Int32, of target: TargetProcess) throws(AdoptError) -> FileDescriptor?
    /// Whether `acquireIfOpen` of a closed fd costs about one failed
    /// syscall (pidfd: one EBADF), so that a listing may try fd numbers
    /// instead of reading /proc/PID/fd.
    var probesClosedFDsCheaply: Bool { get }
    /// Which of its ways the last `acquire` took, where a backend has
    /// several ("handle", "getfd" for kmod); printed as "via: NAME (PATH)".
    var lastPath: String? { get }
}

extension AcquisitionBackend {
    public var semanticsNote: String? { nil }
    public var lastPath: String? { nil }
    public var probesClosedFDsCheaply: Bool { false }

    public func acquireIfOpen(fd: Int32, of target: TargetProcess) throws(AdoptError) -> FileDescriptor? {
        do {
            return try acquire(fd: fd, of: target)
        } catch {
            if case .fdNotOpen = error.reason { return nil }
            throw error
        }
    }
}
