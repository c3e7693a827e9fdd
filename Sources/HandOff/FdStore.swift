// SPDX-License-Identifier: Apache-2.0
import Glibc
import RemoteFD
import SystemPackage

/// systemd's file descriptor store (sd_pid_notify_with_fds(3)): one
/// datagram "FDSTORE=1\nFDNAME=NAME\n" with the fd attached, sent to
/// $NOTIFY_SOCKET (a path, or '@' for the abstract namespace). systemd keeps
/// the fd while the service restarts and passes it back through LISTEN_FDS.
/// It accepts the message from the service's main process, or from any of
/// its processes with NotifyAccess=all; the unit needs FileDescriptorStoreMax > 0.
public enum FdStore {
    public static let environmentVariable = "NOTIFY_SOCKET"

    /// The message for one named fd.
    public static func message(name: String) -> String {
        "FDSTORE=1\nFDNAME=\(name)\n"
    }

    /// Sends `descriptor` under `name`. Throws EINVAL for a bad name,
    /// ENOENT (as a missing variable) when $NOTIFY_SOCKET is unset.
    public static func store(_ descriptor: FileDescriptor, name: String, notifySocket: String? = nil) throws(FdStoreError) {
        guard FdName.isValid(name) else {
            throw FdStoreError(socket: notifySocket ?? "-", errno: .invalidArgument,
                               "bad fd name '\(name)' (\(FdName.rule))")
        }
        guard let path = notifySocket ?? getenv(environmentVariable).map({ String(cString: $0) }), !path.isEmpty else {
            throw FdStoreError(socket: "-", errno: .noSuchFileOrDirectory,
                               "$NOTIFY_SOCKET is not set: not running under systemd (Type=notify, NotifyAccess=all, FileDescriptorStoreMax=N)")
        }
        let raw = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard raw >= 0 else { throw FdStoreError(socket: path, errno: .current, "cannot create a datagram socket") }
        let sock = FileDescriptor(rawValue: raw)
        defer { try? sock.close() }
        do {
            try FdPassing.send(Array(message(name: name).utf8), fds: [descriptor], to: path, on: sock)
        } catch {
            throw FdStoreError(socket: path, errno: error, "sending FDSTORE=1 FDNAME=\(name) failed")
        }
    }
}

public struct FdStoreError: Error, CustomStringConvertible, Sendable {
    public var socket: String
    public var errno: Errno
    public var message: String

    public init(socket: String, errno: Errno, _ message: String) {
        self.socket = socket
        self.errno = errno
        self.message = message
    }

    public var description: String { "fdstore \(socket): \(message) (\(errno.symbolicName))" }
}
