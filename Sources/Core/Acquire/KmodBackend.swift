// SPDX-License-Identifier: Apache-2.0
import CShims
import Glibc
import SystemPackage

/// The remotefd module on /dev/remotefd. Like pidfd_getfd it returns the
/// owner's open file description, with pidfd_getfd's permission check.
///
/// Where the module has target handles (REMOTEFD_FEAT_HANDLE), the check is
/// asked once per `TargetProcess` (REMOTEFD_IOC_ATTACH) and every fd is then
/// taken through the handle, which the kernel re-validates cheaply; an older
/// module gets REMOTEFD_IOC_GETFD per fd, checked each time. The
/// `AcquiredFD` says which ran ("handle" or "getfd"). The target is named by our pidfd
/// when we have one (no pid-reuse race).
///
/// The device is opened on first use and kept for this object's lifetime
/// (opening it per adoption made the path 4–5× slower: BENCHMARKS.md); an
/// open device pins the module, so `rmmod` waits for the object to go.
public final class KmodBackend: MappingAcquisitionBackend, InventoryBackend, TargetHandleBackend {
    public static let devicePath = "/dev/remotefd"

    private var device: FileDescriptor?
    /// The device node: `devicePath` unless a test names another.
    let path: String
    /// REMOTEFD_IOC_INFO's features, read when the device is opened.
    public private(set) var features: UInt32 = 0
    /// REMOTEFD_IOC_INFO's abi_version (0 until the device is opened).
    public private(set) var abiVersion: UInt32 = 0

    public init() { path = Self.devicePath }

    package init(devicePath: String) { path = devicePath }

    deinit { try? device?.close() }

    /// The device, once `openDevice()` succeeded.
    var openedDevice: FileDescriptor? { device }

    public var name: String { "kmod" }
    /// Ready when /dev/remotefd opens; absent when it does not exist (no
    /// module loaded); unusable when it exists but cannot be opened.
    public var readiness: BackendReadiness {
        switch openDevice() {
        case nil: return .ready
        case .noSuchFileOrDirectory?: return .absent
        case let err?: return .unusable("\(Self.cannotOpen(err)) (\(err.symbolicName))")
        }
    }
    /// Whether the loaded module has target handles (and their inventory).
    public var hasHandles: Bool { features & UInt32(REMOTEFD_FEAT_HANDLE) != 0 }

    /// Opens the device now (kept for later adoptions) and reads its
    /// features; the errno if it cannot be opened: ENOENT when the module is
    /// not loaded, EACCES when the node is not ours (the udev rule may give
    /// it to a group).
    public func openDevice() -> Errno? {
        if device != nil { return nil }
        do {
            let opened = try FileDescriptor.open(FilePath(path), .readOnly, options: [.closeOnExec])
            var info = remotefd_info()
            if rfd_ioctl_ptr(opened.rawValue, rfd_ioc_info(), &info) == 0 {
                features = info.features
                abiVersion = info.abi_version
            }
            device = opened
            return nil
        } catch {
            return error as? Errno ?? .noSuchFileOrDirectory
        }
    }

    private func openDevice(pid: pid_t, fd: Int32?) throws(AdoptError) -> FileDescriptor {
        if let err = openDevice() {
            throw AdoptError(pid: pid, fd: fd, reason: .backendUnavailable(name), errno: err,
                             Self.cannotOpen(err))
        }
        return device!
    }

    /// The names of REMOTEFD_FEAT_* bits, in bit order; unknown bits as
    /// "bitN".
    public static func featureNames(_ features: UInt32) -> [String] {
        let known: [(UInt32, String)] = [
            (UInt32(REMOTEFD_FEAT_PIDFD), "pidfd"), (UInt32(REMOTEFD_FEAT_LEGACY_PROC), "legacy_proc"),
            (UInt32(REMOTEFD_FEAT_KPROBE_LOOKUP), "kprobe_lookup"), (UInt32(REMOTEFD_FEAT_WATCH), "watch"),
            (UInt32(REMOTEFD_FEAT_NO_RECEIVE_HOOK), "no_receive_hook"), (UInt32(REMOTEFD_FEAT_HANDLE), "handle"),
            (UInt32(REMOTEFD_FEAT_GETMAP), "getmap"),
        ]
        return (0..<32).compactMap { bit -> String? in
            let mask = UInt32(1) << UInt32(bit)
            guard features & mask != 0 else { return nil }
            return known.first { $0.0 == mask }?.1 ?? "bit\(bit)"
        }
    }

    /// "ABI 1, features: pidfd, watch, …" of the opened device.
    public var infoText: String {
        let names = Self.featureNames(features)
        return "ABI \(abiVersion), features: " + (names.isEmpty ? "none" : names.joined(separator: ", "))
            + (hasHandles ? "; fds through a target handle (ATTACH once, then GETFD)" : "; REMOTEFD_IOC_GETFD per fd (no target handles)")
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

    public func acquire(fd: Int32, of target: TargetProcess) throws(AdoptError) -> AcquiredFD {
        let device = try openDevice(pid: target.pid, fd: fd)
        if hasHandles {
            return AcquiredFD(try acquireThroughHandle(fd: fd, of: target), path: "handle")
        }
        var request = remotefd_getfd()
        name(target, in: &request.target, &request.flags)
        request.fd = fd
        request.fd_flags = UInt32(O_CLOEXEC)
        switch Self.retryingExec({ rfd_ioctl_ptr(device.rawValue, rfd_ioc_getfd(), &request) }) {
        case .success(let raw):
            return AcquiredFD(FileDescriptor(rawValue: raw), path: "getfd")
        case .failure(let err):
            throw AcquireFailure.explain(err, pid: target.pid, fd: fd, backend: name)
        }
    }

    public func inventoryReader() -> ModuleInventoryReader? { ModuleInventoryReader(kmod: self) }

    /// The module's handle on `target` (REMOTEFD_IOC_ATTACH: the permission
    /// check), made on first use and kept by the target.
    public func handle(for target: TargetProcess, fd: Int32? = nil) throws(AdoptError) -> FileDescriptor {
        if let handle = target.moduleHandle { return handle }
        let device = try openDevice(pid: target.pid, fd: fd)
        var request = remotefd_attach()
        name(target, in: &request.target, &request.flags)
        request.fd_flags = UInt32(O_CLOEXEC)
        switch Self.retryingExec({ rfd_ioctl_ptr(device.rawValue, rfd_ioc_attach(), &request) }) {
        case .success(let raw):
            let handle = FileDescriptor(rawValue: raw)
            target.moduleHandle = handle
            return handle
        case .failure(let err):
            throw AcquireFailure.explain(err, pid: target.pid, fd: fd, backend: name)
        }
    }

    /// REMOTEFD_HANDLE_IOC_GETFD. ESTALE: the target exec'd since the
    /// attach; attach to the new image once (a fresh check) and try again.
    private func acquireThroughHandle(fd: Int32, of target: TargetProcess) throws(AdoptError) -> FileDescriptor {
        var request = remotefd_handle_getfd()
        request.fd = fd
        request.fd_flags = UInt32(O_CLOEXEC)
        var result: Result<Int32, Errno> = .failure(.staleNFSFileHandle)
        for _ in 0..<2 {
            let handle = try self.handle(for: target, fd: fd)
            result = retryingOnEINTR({ rfd_ioctl_ptr(handle.rawValue, rfd_ioc_handle_getfd(), &request) })
            guard case .failure(.staleNFSFileHandle) = result else { break }
            try? target.moduleHandle?.close()
            target.moduleHandle = nil
        }
        switch result {
        case .success(let raw):
            return FileDescriptor(rawValue: raw)
        case .failure(let err):
            throw AcquireFailure.explain(err, pid: target.pid, fd: fd, backend: name)
        }
    }

    /// The target as a request names it: our pidfd when we have one.
    private func name(_ target: TargetProcess, in field: inout Int32, _ flags: inout UInt32) {
        if let pidfd = target.pidfd {
            field = pidfd.rawValue
            flags = UInt32(REMOTEFD_TARGET_PIDFD)
        } else {
            field = target.pid
        }
    }

    /// EAGAIN: the target exec'd between the module's permission check and
    /// its lookup, three times in a row (the module retries internally);
    /// the next attempt checks the new image.
    private static func retryingExec(_ call: () -> Int32) -> Result<Int32, Errno> {
        var result = retryingOnEINTR(call)
        var attempts = 1
        while case .failure(.resourceTemporarilyUnavailable) = result, attempts < 4 {
            attempts += 1
            result = retryingOnEINTR(call)
        }
        return result
    }
}
