// SPDX-License-Identifier: Apache-2.0
import CShims
import Glibc
import SystemPackage

/// The process that owns the fd to adopt. It holds a pidfd when the kernel
/// has pidfd_open, so that every later step names this very process even if
/// its pid is reused.
public final class TargetProcess {
    public let pid: pid_t
    /// Owned: closed when this object goes.
    public let pidfd: FileDescriptor?

    /// Opens a pidfd for `pid`. ESRCH becomes `.noSuchProcess` naming `fd`.
    public init(pid: pid_t, forFD fd: Int32? = nil) throws(AdoptError) {
        self.pid = pid
        guard pid > 0 else {
            throw AdoptError(pid: pid, fd: fd, reason: .noSuchProcess, errno: .invalidArgument,
                             "not a process id")
        }
        switch retryingOnEINTR({ rfd_pidfd_open(pid, 0) }) {
        case .success(let raw):
            pidfd = FileDescriptor(rawValue: raw)
        case .failure(.noSuchProcess):
            throw AcquireFailure.explain(.noSuchProcess, pid: pid, fd: fd, backend: "pidfd_open")
        case .failure(let err) where err == .noFunction || err == .invalidArgument || err == .noSuchFileOrDirectory:
            // No pidfd_open (ENOSYS), or pid names a thread that is not a
            // thread-group leader (EINVAL before Linux 6.9, ENOENT since):
            // fall back to the pid alone.
            guard kill(pid, 0) == 0 || Errno.current != .noSuchProcess else {
                throw AcquireFailure.explain(.noSuchProcess, pid: pid, fd: fd, backend: "kill")
            }
            pidfd = nil
        case .failure(let err):
            throw AdoptError(pid: pid, fd: fd, reason: .other, errno: err, "pidfd_open failed")
        }
    }

    /// The remotefd module's handle on this process (REMOTEFD_IOC_ATTACH),
    /// made by KmodBackend on first use: the permission check is asked
    /// once per target, not once per fd. Owned: closed when this object goes.
    package var moduleHandle: FileDescriptor?

    deinit {
        try? pidfd?.close()
        try? moduleHandle?.close()
    }

    /// Whether the process still runs (a zombie counts as gone).
    public var isAlive: Bool {
        if let pidfd {
            // A pidfd polls readable once the process has exited.
            var pfd = pollfd(fd: pidfd.rawValue, events: Int16(POLLIN), revents: 0)
            return poll(&pfd, 1, 0) == 0
        }
        return kill(pid, 0) == 0 || Errno.current == .notPermitted
    }
}
