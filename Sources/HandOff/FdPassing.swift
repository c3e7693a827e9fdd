// SPDX-License-Identifier: Apache-2.0
import CShims
import Glibc
import RemoteFD
import SystemPackage

/// Sending and receiving fds over Unix sockets (SCM_RIGHTS), and the
/// socket plumbing the keeper, its clients and the fdstore hand-off share.
public enum FdPassing {
    /// Sends `bytes` with `fds` attached in one sendmsg (MSG_NOSIGNAL). On a
    /// stream socket the rest of a short write is sent without fds.
    public static func send(_ bytes: [UInt8], fds: [FileDescriptor] = [], on socket: FileDescriptor) throws(Errno) {
        let raw = fds.map(\.rawValue)
        var sent = 0
        repeat {
            let attached = sent == 0 ? raw : []
            let result = bytes.withUnsafeBytes { buf in
                retryingOnEINTR { rfd_send_fds(socket.rawValue, buf.baseAddress! + sent, buf.count - sent,
                                               attached, Int32(attached.count)) }
            }
            sent += try result.get()
        } while sent < bytes.count
    }

    /// Sends one datagram with `fds` attached to the Unix address `path`
    /// ('@' = abstract namespace).
    public static func send(_ bytes: [UInt8], fds: [FileDescriptor], to path: String, on socket: FileDescriptor) throws(Errno) {
        let raw = fds.map(\.rawValue)
        let result = bytes.withUnsafeBytes { buf in
            retryingOnEINTR { rfd_send_fds_to(socket.rawValue, path, buf.baseAddress, buf.count, raw, Int32(raw.count)) }
        }
        _ = try result.get()
    }

    /// One recvmsg: the bytes (empty at EOF) and the fds that came with
    /// them, close-on-exec (MSG_CMSG_CLOEXEC), owned by `fds`: those the
    /// caller does not take are closed with it.
    public struct Received {
        public var bytes: [UInt8]
        public var fds: ReceivedFDs
        /// More fds were sent than fit (MSG_CTRUNC): the extra ones were closed.
        public var truncated: Bool { fds.truncated }
    }

    public static func receive(on socket: FileDescriptor, maxBytes: Int = 65536) throws(Errno) -> Received {
        var bytes = [UInt8](repeating: 0, count: maxBytes)
        var fds = [Int32](repeating: -1, count: Int(RFD_MAX_PASSED_FDS))
        var count: Int32 = 0
        var truncated: Int32 = 0
        let result = bytes.withUnsafeMutableBytes { buf in
            retryingOnEINTR { rfd_recv_fds(socket.rawValue, buf.baseAddress, buf.count, &fds, Int32(fds.count), &count, &truncated) }
        }
        let n = try result.get()
        bytes.removeLast(maxBytes - n)
        return Received(bytes: bytes, fds: ReceivedFDs(fds[..<Int(count)].map { FileDescriptor(rawValue: $0) },
                                                       truncated: truncated != 0))
    }

    /// A connected Unix stream socket (close-on-exec).
    public static func connect(to path: String) throws(Errno) -> FileDescriptor {
        let sock = try syscallValue { socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        switch retryingOnEINTR({ rfd_unix_connect(sock, path) }) {
        case .success: return FileDescriptor(rawValue: sock)
        case .failure(let err):
            close(sock)
            throw err
        }
    }

    /// A listening Unix stream socket bound to `path` with file mode `mode`.
    /// A stale socket file (nobody accepting) is replaced; a live one is
    /// EADDRINUSE.
    public static func listen(at path: String, mode: mode_t) throws(Errno) -> FileDescriptor {
        let sock = try syscallValue { socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        let fd = FileDescriptor(rawValue: sock)
        do {
            if rfd_unix_bind(sock, path) != 0 {
                let err = Errno.current
                guard err == .addressInUse, !path.hasPrefix("@") else { throw err }
                // Someone answering there is a live keeper: do not steal its path.
                if let probe = try? connect(to: path) {
                    try? probe.close()
                    throw Errno.addressInUse
                }
                unlink(path)
                _ = try syscallValue { rfd_unix_bind(sock, path) }
            }
            if !path.hasPrefix("@") { _ = try syscallValue { chmod(path, mode) } }
            _ = try syscallValue { Glibc.listen(sock, 64) }
            return fd
        } catch let err as Errno {
            try? fd.close()
            throw err
        } catch {
            try? fd.close()
            throw Errno.ioError
        }
    }

    /// The peer's credentials at connect time (SO_PEERCRED).
    public struct PeerCredentials: Sendable, Equatable {
        public var pid: pid_t
        public var uid: uid_t
        public var gid: gid_t
    }

    public static func peer(of socket: FileDescriptor) throws(Errno) -> PeerCredentials {
        var pid: pid_t = 0, uid: uid_t = 0, gid: gid_t = 0
        _ = try syscallValue { rfd_peer_cred(socket.rawValue, &pid, &uid, &gid) }
        return PeerCredentials(pid: pid, uid: uid, gid: gid)
    }
}
