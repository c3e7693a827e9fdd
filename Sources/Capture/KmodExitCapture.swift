// SPDX-License-Identifier: Apache-2.0
import CShims
import Glibc
import RemoteFD
import SystemPackage

/// Capture on exit through the remotefd module (REMOTEFD_IOC_WATCH /
/// _UNWATCH / _COLLECT on /dev/remotefd; kmod/include/uapi/linux/remotefd.h).
///
/// `arm` asks the module to take, when the process exits (its last thread,
/// normally or killed, SIGKILL included), references to the named fds (or to
/// all of them) before the kernel closes them. The permission check is
/// REMOTEFD_IOC_GETFD's (= pidfd_getfd's), done at arm time; if the process
/// then execs, changes credentials or becomes non-dumpable, nothing is
/// captured (`.denied`). Unlike the ptrace path (``PtraceExitCapture``) the
/// target is not stopped and may have another tracer.
///
/// Most programs want ``ExitCapture``, which chooses between the two and
/// identifies what was captured; this type is the module's interface.
///
/// Watches and captured files belong to this object's open device: dropping
/// it disarms everything and releases what was not collected. Wait on
/// `pollfd` (POLLIN) or call `wait(timeoutMilliseconds:)`, then `collect()`
/// until it returns nil. Each watch ends with exactly one `.exited` or
/// `.denied` event for its pid.
public final class KmodExitCapture {
    public enum Event {
        /// The file `fd` had in process `pid`, now ours (close-on-exec unless asked).
        case file(pid: Int32, fd: Int32, FileDescriptor)
        /// An armed fd that was not open when the process exited.
        case notOpen(pid: Int32, fd: Int32)
        /// A /dev/remotefd file: never captured.
        case skipped(pid: Int32, fd: Int32)
        /// The process exited: `captured` files were queued before this event,
        /// `lost` could not be (kernel memory, queue limit). The watch is gone.
        case exited(pid: Int32, captured: UInt32, lost: UInt32)
        /// The process exited after exec, a credential change or becoming
        /// non-dumpable since arming: nothing was captured. The watch is gone.
        case denied(pid: Int32)
        /// The file behind a shared mapping [start, end) of process `pid`
        /// at its exit (armed with `maps`), now ours.
        case mapping(pid: Int32, start: UInt64, end: UInt64, FileDescriptor)
        /// An event type this build does not know (newer module).
        case unknown(pid: Int32, fd: Int32, type: UInt32)

        public var pid: Int32 {
            switch self {
            case .file(let pid, _, _), .notOpen(let pid, _), .skipped(let pid, _), .mapping(let pid, _, _, _),
                 .exited(let pid, _, _), .denied(let pid), .unknown(let pid, _, _):
                return pid
            }
        }

        /// The last event of a watch.
        public var isFinal: Bool {
            switch self {
            case .exited, .denied: return true
            default: return false
            }
        }
    }

    public static let devicePath = KmodBackend.devicePath
    public static let maxFds = Int(REMOTEFD_WATCH_MAX_FDS)

    public let device: FileDescriptor

    /// The fd to poll for POLLIN (events queued).
    public var pollfd: Int32 { device.rawValue }

    /// Opens /dev/remotefd and checks that the module can capture on exit.
    public init() throws(AdoptError) {
        let opened: FileDescriptor
        do {
            opened = try FileDescriptor.open(FilePath(Self.devicePath), .readWrite, options: [.closeOnExec])
        } catch {
            let err = error as? Errno ?? .noSuchFileOrDirectory
            throw AdoptError(pid: nil, fd: nil, reason: .backendUnavailable("kmod"), errno: err,
                             KmodBackend.cannotOpen(err))
        }
        var info = remotefd_info()
        let ok = retryingOnEINTR({ rfd_ioctl_ptr(opened.rawValue, rfd_ioc_info(), &info) })
        guard case .success = ok, info.features & UInt32(REMOTEFD_FEAT_WATCH) != 0 else {
            try? opened.close()
            throw AdoptError(pid: nil, fd: nil, reason: .backendUnavailable("kmod"), errno: .notSupported,
                             "the loaded remotefd module cannot capture on exit (no REMOTEFD_FEAT_WATCH): load a newer one")
        }
        device = opened
    }

    deinit { try? device.close() }

    /// Arms capture of `fds` (nil: every fd open at exit) of process `pid`
    /// (any of its thread ids). With `maps`, also the files behind its
    /// shared file mappings at exit (REMOTEFD_WATCH_MAPS: `.mapping` events).
    public func arm(pid: Int32, fds: [Int32]?, maps: Bool = false) throws(AdoptError) {
        try watch(target: pid, flags: maps ? UInt32(REMOTEFD_WATCH_MAPS) : 0, pid: pid, fds: fds)
    }

    /// Same, naming the process by a pidfd (no pid-reuse race); `pid` is for
    /// messages only.
    public func arm(pidfd: FileDescriptor, pid: Int32, fds: [Int32]?, maps: Bool = false) throws(AdoptError) {
        try watch(target: pidfd.rawValue, flags: UInt32(REMOTEFD_TARGET_PIDFD) | (maps ? UInt32(REMOTEFD_WATCH_MAPS) : 0),
                  pid: pid, fds: fds)
    }

    /// Disarms the watch of `pid` (the pid given or resolved when arming).
    /// False if there was none (never armed, or it already fired).
    @discardableResult
    public func disarm(pid: Int32) throws(AdoptError) -> Bool {
        var request = remotefd_watch()
        request.target = pid
        return try unwatch(&request, pid: pid)
    }

    @discardableResult
    public func disarm(pidfd: FileDescriptor, pid: Int32) throws(AdoptError) -> Bool {
        var request = remotefd_watch()
        request.target = pidfd.rawValue
        request.flags = UInt32(REMOTEFD_TARGET_PIDFD)
        return try unwatch(&request, pid: pid)
    }

    /// Waits until events are queued; false on timeout (-1: forever).
    public func wait(timeoutMilliseconds: Int32) -> Bool {
        var p = pollfd_struct(fd: device.rawValue, events: Int16(POLLIN), revents: 0)
        switch retryingOnEINTR({ poll(&p, 1, timeoutMilliseconds) }) {
        case .success(let n): return n > 0 && p.revents & Int16(POLLIN) != 0
        case .failure: return false
        }
    }

    /// The next queued event, or nil when none is queued. A `.file` event's
    /// descriptor is installed in this process (close-on-exec unless
    /// `closeOnExec` is false) and is the caller's to close. EMFILE leaves the
    /// event queued.
    public func collect(closeOnExec: Bool = true) throws(AdoptError) -> Event? {
        var c = remotefd_capture()
        c.fd_flags = closeOnExec ? UInt32(O_CLOEXEC) : 0
        switch retryingOnEINTR({ rfd_ioctl_ptr(device.rawValue, rfd_ioc_collect(), &c) }) {
        case .success:
            break
        case .failure(.resourceTemporarilyUnavailable):
            return nil
        case .failure(let err):
            throw AdoptError(pid: c.pid > 0 ? c.pid : nil, fd: c.fd >= 0 ? c.fd : nil, reason: .other, errno: err,
                             "collecting a captured file from \(Self.devicePath) failed")
        }
        switch Int32(bitPattern: c.event) {
        case REMOTEFD_EVENT_FILE: return .file(pid: c.pid, fd: c.fd, FileDescriptor(rawValue: c.newfd))
        case REMOTEFD_EVENT_NOT_OPEN: return .notOpen(pid: c.pid, fd: c.fd)
        case REMOTEFD_EVENT_SKIPPED: return .skipped(pid: c.pid, fd: c.fd)
        case REMOTEFD_EVENT_EXIT: return .exited(pid: c.pid, captured: c.count, lost: c.lost)
        case REMOTEFD_EVENT_DENIED: return .denied(pid: c.pid)
        case REMOTEFD_EVENT_MAP: return .mapping(pid: c.pid, start: c.map_start, end: c.map_end, FileDescriptor(rawValue: c.newfd))
        default: return .unknown(pid: c.pid, fd: c.fd, type: c.event)
        }
    }

    private func watch(target: Int32, flags: UInt32, pid: Int32, fds: [Int32]?) throws(AdoptError) {
        var request = remotefd_watch()
        request.target = target
        request.flags = flags
        var list = fds ?? []
        if fds == nil {
            request.flags |= UInt32(REMOTEFD_WATCH_ALL_FDS)
        } else if list.isEmpty || list.count > Self.maxFds {
            throw AdoptError(pid: pid, fd: nil, reason: .other, errno: .invalidArgument,
                             "arm capture: give 1 to \(Self.maxFds) fds, or all")
        }
        let result = list.withUnsafeMutableBufferPointer { buf in
            request.nfds = UInt32(fds == nil ? 0 : buf.count)
            request.fds = fds == nil ? 0 : UInt64(UInt(bitPattern: buf.baseAddress))
            return retryingOnEINTR({ rfd_ioctl_ptr(device.rawValue, rfd_ioc_watch(), &request) })
        }
        if case .failure(let err) = result {
            switch err {
            case .fileExists:
                throw AdoptError(pid: pid, fd: nil, reason: .other, errno: err,
                                 "capture is already armed for this process on this handle")
            case .resourceTemporarilyUnavailable:
                throw AdoptError(pid: pid, fd: nil, reason: .other, errno: err,
                                 "the process kept exec'ing or changing credentials while arming: try again")
            default:
                throw AcquireFailure.explain(err, pid: pid, fd: nil, backend: "kmod")
            }
        }
    }

    private func unwatch(_ request: inout remotefd_watch, pid: Int32) throws(AdoptError) -> Bool {
        switch retryingOnEINTR({ rfd_ioctl_ptr(device.rawValue, rfd_ioc_unwatch(), &request) }) {
        case .success: return true
        case .failure(.noSuchFileOrDirectory): return false
        case .failure(let err):
            throw AcquireFailure.explain(err, pid: pid, fd: nil, backend: "kmod")
        }
    }
}

private typealias pollfd_struct = Glibc.pollfd
