// SPDX-License-Identifier: Apache-2.0
import CShims
import Glibc
import SystemPackage

/// Why an adoption failed, naming the process and the resource's origin
/// (fd, mapping or IPC id) where there is one (a failure about a whole
/// process has none; one about the module before any process, neither)
/// and, where the kernel said so, the errno.
/// `description` is the one-line message the CLI prints; `hints` are
/// optional further lines (explanations, remedies).
public struct AdoptError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure, for callers that act on it (a listing skips
    /// `.fdNotOpen`; `Adopter` tries a handler's own way after
    /// `.permissionDenied`).
    public enum Reason: Equatable, Sendable {
        /// The process is gone (or never was).
        case noSuchProcess
        /// No such fd in the process.
        case fdNotOpen
        /// The kernel's permission check refused (ptrace rights, a
        /// capability, an IPC mode).
        case permissionDenied
        /// `--type` asked for one kind and the resource is another.
        case typeMismatch(actual: String, requested: String)
        /// No handler takes it (a pipe, a socket …): what it is, in words.
        case notAdoptable(kind: String)
        /// `--type` named no registered handler.
        case unknownType(String)
        /// The backend named cannot be used here, or cannot do this.
        case backendUnavailable(String)
        /// A reopen by path is impossible (an anonymous inode).
        case cannotReopen
        /// Mapping was refused (access mode, seals, the kernel).
        case mapRefused
        case other
    }

    public var pid: Int32?
    /// What the failure is about within the process: an fd, a mapping, an IPC id.
    public var origin: BufferOrigin?
    public var reason: Reason
    public var errno: Errno?
    /// What was wrong, without the "pid P fd N:" prefix and the errno name.
    public var message: String
    public var hints: [String]
    /// How the library reached this failure, step by step (a permission
    /// diagnosis's readings): for a verbose log, not part of `description`.
    public var trace: [String] = []

    public init(pid: Int32?, origin: BufferOrigin?, reason: Reason, errno: Errno? = nil,
                _ message: String, hints: [String] = []) {
        self.pid = pid
        self.origin = origin
        self.reason = reason
        self.errno = errno
        self.message = message
        self.hints = hints
    }

    /// About fd `fd` of `pid` (nil: the whole process), or, with
    /// `address`, about the mapping there.
    public init(pid: Int32?, fd: Int32?, reason: Reason, errno: Errno? = nil,
                _ message: String, hints: [String] = [], address: UInt64? = nil) {
        self.init(pid: pid, origin: address.map { .mapping($0) } ?? fd.map { .fd($0) }, reason: reason,
                  errno: errno, message, hints: hints)
    }

    /// About an adopted resource: named as it was taken.
    public init(_ file: AdoptedFile, reason: Reason, errno: Errno? = nil, _ message: String, hints: [String] = []) {
        self.init(pid: file.pid, origin: file.origin, reason: reason, errno: errno, message, hints: hints)
    }

    /// The fd the failure is about, if it is about one.
    public var fd: Int32? { origin?.fd }
    /// The address of `adopt PID --map ADDR`, if it is about a mapping.
    public var address: UInt64? {
        get { origin?.address }
        set { origin = newValue.map { .mapping($0) } ?? origin }
    }

    /// "pid P fd N: detail", "pid P map 0xADDR: detail", "id N: detail",
    /// "pid P: detail" or "detail".
    public var description: String {
        switch (pid, origin) {
        case let (pid?, origin?): return "pid \(pid) \(origin): \(detail)"
        case let (pid?, nil): return "pid \(pid): \(detail)"
        case let (nil, origin?): return "\(origin): \(detail)"
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
