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
    /// The device node: `devicePath` unless a test names another.
    let path: String

    public init() { path = Self.devicePath }

    package init(devicePath: String) { path = devicePath }

    deinit { try? device?.close() }

    public var name: String { "kmod" }
    /// Whether /dev/remotefd exists (`auto` also needs it to open: `Backends.choose`).
    public var isAvailable: Bool { access(path, F_OK) == 0 }

    /// Opens the device now (kept for later adoptions); the errno if it
    /// cannot be opened: ENOENT when the module is not loaded, EACCES when
    /// the node is not ours (the udev rule may give it to a group).
    public func openDevice() -> Errno? {
        if device != nil { return nil }
        do {
            device = try FileDescriptor.open(FilePath(path), .readOnly, options: [.closeOnExec])
            return nil
        } catch {
            return error as? Errno ?? .noSuchFileOrDirectory
        }
    }

    private func openDevice(for target: TargetProcess, fd: Int32) throws(AdoptError) -> FileDescriptor {
        if let err = openDevice() {
            throw AdoptError(pid: target.pid, fd: fd, reason: .backendUnavailable(name), errno: err,
                             Self.cannotOpen(err))
        }
        return device!
    }

    /// Why /dev/remotefd could not be opened, in words.
    package static func cannotOpen(_ err: Errno) -> String {
        switch err {
        case .noSuchFileOrDirectory, .noSuchAddressOrDevice, .operationNotSupportedByDevice:
            return "cannot open \(devicePath): is the remotefd module loaded?"
        case .permissionDenied, .notPermitted:
            return "cannot open \(devicePath): not allowed (the node belongs to another user or group)"
        default:
            return "cannot open \(devicePath)"
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
