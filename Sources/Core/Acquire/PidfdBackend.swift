// SPDX-License-Identifier: Apache-2.0
import CShims
import SystemPackage

/// pidfd_getfd(2): the same open file description as the owner's (shared
/// offset and status flags), checked with PTRACE_MODE_ATTACH_REALCREDS.
public struct PidfdBackend: AcquisitionBackend {
    public init() {}

    public var name: String { "pidfd" }
    public var probesClosedFDsCheaply: Bool { true }

    public var readiness: BackendReadiness {
        // pidfd_getfd on an invalid pidfd: EBADF if the syscall exists.
        rfd_pidfd_getfd(-1, 0, 0) == -1 && Errno.current != .noFunction ? .ready : .absent
    }

    public func acquire(fd: Int32, of target: TargetProcess) throws(AdoptError) -> AcquiredFD {
        guard let descriptor = try acquireIfOpen(fd: fd, of: target) else {
            throw AcquireFailure.explain(.badFileDescriptor, pid: target.pid, fd: fd, backend: name)
        }
        return descriptor
    }

    public func acquireIfOpen(fd: Int32, of target: TargetProcess) throws(AdoptError) -> AcquiredFD? {
        guard let pidfd = target.pidfd else {
            throw AdoptError(pid: target.pid, fd: fd, reason: .backendUnavailable("pidfd"), errno: .noFunction,
                             "pidfd_open is not available on this kernel; try --via procfs")
        }
        switch retryingOnEINTR({ rfd_pidfd_getfd(pidfd.rawValue, fd, 0) }) {
        case .success(let raw):
            return AcquiredFD(FileDescriptor(rawValue: raw))
        case .failure(.badFileDescriptor):
            return nil
        case .failure(let err):
            throw AcquireFailure.explain(err, pid: target.pid, fd: fd, backend: name)
        }
    }
}
