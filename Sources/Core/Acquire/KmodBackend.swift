import CShims
import Glibc
import SystemPackage

/// The remotefd module's REMOTEFD_IOC_GETFD on /dev/remotefd. Like
/// pidfd_getfd it returns the owner's open file description; the target is
/// named by our pidfd when we have one (no pid-reuse race).
public struct KmodBackend: AcquisitionBackend {
    public static let devicePath = "/dev/remotefd"

    public init() {}

    public var name: String { "kmod" }
    public var isAvailable: Bool { access(Self.devicePath, F_OK) == 0 }

    public func acquire(fd: Int32, of target: TargetProcess) throws(AdoptError) -> FileDescriptor {
        let device: FileDescriptor
        do {
            device = try FileDescriptor.open(FilePath(Self.devicePath), .readOnly, options: [.closeOnExec])
        } catch {
            let err = error as? Errno ?? .noSuchFileOrDirectory
            throw AdoptError(pid: target.pid, fd: fd, reason: .backendUnavailable(name), errno: err,
                             "cannot open \(Self.devicePath): is the remotefd module loaded?")
        }
        defer { try? device.close() }
        var request = remotefd_getfd()
        if let pidfd = target.pidfd {
            request.target = pidfd.rawValue
            request.flags = UInt32(REMOTEFD_TARGET_PIDFD)
        } else {
            request.target = target.pid
        }
        request.fd = fd
        request.fd_flags = UInt32(O_CLOEXEC)
        // EAGAIN: the target exec'd between the module's permission check and
        // its lookup, three times in a row (the module retries internally);
        // the next attempt checks the new image.
        var result = retryingOnEINTR({ rfd_ioctl_ptr(device.rawValue, rfd_ioc_getfd(), &request) })
        var attempts = 1
        while case .failure(.resourceTemporarilyUnavailable) = result, attempts < 4 {
            attempts += 1
            result = retryingOnEINTR({ rfd_ioctl_ptr(device.rawValue, rfd_ioc_getfd(), &request) })
        }
        switch result {
        case .success(let raw):
            return FileDescriptor(rawValue: raw)
        case .failure(let err):
            throw AcquireFailure.explain(err, pid: target.pid, fd: fd, backend: name)
        }
    }
}
