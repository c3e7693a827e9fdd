import CShims
import Glibc
import SystemPackage

/// Why an adoption failed, naming the process and the fd where there is one
/// (a failure about a whole process has no fd; one about the module before
/// any process, neither) and, where the kernel said so, the errno.
/// `description` is the one-line message the CLI prints; `hints` are
/// optional further lines (explanations, remedies).
public struct AdoptError: Error, CustomStringConvertible, Sendable {
    public enum Reason: Equatable, Sendable {
        case noSuchProcess
        case fdNotOpen
        case permissionDenied
        case typeMismatch(actual: String, requested: String)
        case notAdoptable(kind: String)
        case unknownType(String)
        case backendUnavailable(String)
        case cannotReopen
        case mapRefused
        case other
    }

    public var pid: Int32?
    public var fd: Int32?
    public var reason: Reason
    public var errno: Errno?
    /// What was wrong, without the "pid P fd N:" prefix and the errno name.
    public var message: String
    public var hints: [String]
    /// The address named by `adopt PID --map ADDR`, when the failure is
    /// about a mapping rather than an fd: "pid P map 0xADDR: …".
    public var address: UInt64?

    public init(pid: Int32?, fd: Int32?, reason: Reason, errno: Errno? = nil,
                _ message: String, hints: [String] = [], address: UInt64? = nil) {
        self.address = address
        self.pid = pid
        self.fd = fd
        self.reason = reason
        self.errno = errno
        self.message = message
        self.hints = hints
    }

    /// "pid P fd N: detail", "pid P: detail" or "detail".
    public var description: String {
        if let pid, let address { return "pid \(pid) map 0x\(String(address, radix: 16)): \(detail)" }
        switch (pid, fd) {
        case let (pid?, fd?): return "pid \(pid) fd \(fd): \(detail)"
        case let (pid?, nil): return "pid \(pid): \(detail)"
        default: return detail
        }
    }

    /// The message and the errno name, without the "pid P fd N:" prefix
    /// (for lines that already name the process).
    public var detail: String {
        errno.map { "\(message) (\($0.symbolicName))" } ?? message
    }
}

extension Errno {
    /// The symbolic name, "EPERM" rather than "Operation not permitted".
    public var symbolicName: String {
        if let name = rfd_errno_name(rawValue) { return String(cString: name) }
        return "errno \(rawValue)"
    }

    /// The calling thread's errno, as swift-system's type.
    package static var current: Errno { Errno(rawValue: Glibc.errno) }
}
