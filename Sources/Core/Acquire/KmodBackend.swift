import CShims
import Glibc
import SystemPackage

/// The remotefd module's REMOTEFD_IOC_GETFD on /dev/remotefd. Like
/// pidfd_getfd it returns the owner's open file description; the target is
/// named by our pidfd when we have one (no pid-reuse race).
///
/// The device is opened on first use and kept for this object's lifetime
/// (opening it per adoption made the path 4–5× slower: BENCHMARKS.md); an
/// open device pins the module, so `rmmod` waits for the object to go.
public final class KmodBackend: AcquisitionBackend {
    public static let devicePath = "/dev/remotefd"

    private var device: FileDescriptor?

    public init() {}

    deinit { try? device?.close() }

    public var name: String { "kmod" }
    public var isAvailable: Bool { access(Self.devicePath, F_OK) == 0 }

    private func openDevice(for target: TargetProcess, fd: Int32) throws(AdoptError) -> FileDescriptor {
        if let device { return device }
        do {
            let opened = try FileDescriptor.open(FilePath(Self.devicePath), .readOnly, options: [.closeOnExec])
            device = opened
            return opened
        } catch {
            let err = error as? Errno ?? .noSuchFileOrDirectory
            throw AdoptError(pid: target.pid, fd: fd, reason: .backendUnavailable(name), errno: err,
                             "cannot open \(Self.devicePath): is the remotefd module loaded?")
        }
    }

    public func acquire(fd: Int32, of target: TargetProcess) throws(AdoptError) -> FileDescriptor {
        let device = try openDevice(for: target, fd: fd)
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
