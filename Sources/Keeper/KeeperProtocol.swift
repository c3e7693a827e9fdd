// SPDX-License-Identifier: Apache-2.0
import Glibc
import RemoteFD
import RemoteFDHandOff
import SystemPackage

/// The keeper's wire protocol, version 1.
///
/// A Unix stream socket. A request is one line (at most
/// `maxRequestLength` bytes, ending in "\n"), words separated by one
/// space. A reply is zero or more `buffer …` lines followed by one status
/// line: `ok [WORDS]` or `err ERRNAME MESSAGE`. Fds travel with SCM_RIGHTS:
/// attached to the request line (add, import, listener: exactly one; any
/// other request with an fd is refused) or to the reply (get). Fds a
/// request brought and the keeper did not keep are closed once it is
/// answered; a request whose fds were cut short (MSG_CTRUNC) is refused. A
/// listener must be a listening Unix stream socket. A client that goes
/// away mid-request costs the keeper nothing: a request is acted on only
/// once its whole line has arrived, and fds that came with an unfinished
/// line are closed.
///
/// The requests are `KeeperRequest`'s cases (parsed and formatted there),
/// the status line is `KeeperStatus`.
///
/// `take NAME TYPE ID` brings no fd: the keeper takes the resource by id
/// itself, through the handler of TYPE (`IdentifiedResources`: a System V
/// segment it then keeps attached), if the client's uid and primary gid
/// may (the handler's rule, the kernel's own); `get` of such a buffer is
/// refused with its id, there being no fd to pass.
///
/// A buffer line is `buffer NAME TYPE SIZE OWNER_UID SOURCE_PID SOURCE_FD INODE`
/// (-1 -1 for a source not known, or a resource taken by id).
/// Who may use a buffer: root, or the uid that added it (SO_PEERCRED);
/// `list` shows a client only those.
public enum KeeperProtocol {
    public static let maxRequestLength = 4096

    /// Buffer names follow `FdName`'s rule: they also become
    /// LISTEN_FDNAMES and FDNAME= entries.
    public static func isValidName(_ name: String) -> Bool { FdName.isValid(name) }

    public static var nameRule: String { FdName.rule }
}

/// What the keeper says about one buffer it holds.
public struct HeldBufferInfo: Sendable, Equatable {
    public var name: String
    public var type: String
    public var size: Int
    /// The uid that added it: it (and root) may get or release it.
    public var ownerUID: uid_t
    /// Where it was adopted from (-1 when unknown).
    public var sourcePID: pid_t
    public var sourceFD: Int32
    public var inode: UInt64

    public init(name: String, type: String, size: Int, ownerUID: uid_t, sourcePID: pid_t, sourceFD: Int32, inode: UInt64) {
        self.name = name
        self.type = type
        self.size = size
        self.ownerUID = ownerUID
        self.sourcePID = sourcePID
        self.sourceFD = sourceFD
        self.inode = inode
    }

    /// The fields after "buffer " (and after "ok " in a get/add reply).
    public var words: String {
        "\(name) \(type) \(size) \(ownerUID) \(sourcePID) \(sourceFD) \(inode)"
    }

    public init?(words: some StringProtocol) {
        let w = words.split(separator: " ", omittingEmptySubsequences: true)
        guard w.count == 7, let size = Int(w[2]), let owner = uid_t(w[3]), let pid = pid_t(w[4]),
              let fd = Int32(w[5]), let inode = UInt64(w[6]) else { return nil }
        self.init(name: String(w[0]), type: String(w[1]), size: size, ownerUID: owner,
                  sourcePID: pid, sourceFD: fd, inode: inode)
    }

    public var description: Description {
        var d = Description()
        d.append("name", name)
        d.append("type", type)
        d.append("size", size)
        d.append("owner_uid", Int(ownerUID))
        d.append("source_pid", Int(sourcePID))
        d.append("source_fd", Int(sourceFD))
        d.append("inode", inode)
        return d
    }
}

/// A keeper's answer to one request.
public struct KeeperReply {
    public var buffers: [HeldBufferInfo] = []
    /// The words after "ok".
    public var okWords: String = ""
    /// The fds that came with the reply: those not taken close with it.
    public var fds = ReceivedFDs()

    public init() {}
}

/// Why a keeper request failed: one line naming the socket, the request
/// and the errno name.
public struct KeeperError: Error, CustomStringConvertible, Sendable {
    public var socket: String
    public var request: String
    public var errno: Errno?
    public var message: String

    public init(socket: String, request: String, errno: Errno?, _ message: String) {
        self.socket = socket
        self.request = request
        self.errno = errno
        self.message = message
    }

    public var description: String {
        var line = "keeper \(socket): \(request): \(message)"
        if let errno { line += " (\(errno.symbolicName))" }
        return line
    }
}

extension Errno {
    /// The errno whose symbolic name is `name` ("ENOENT"), if any.
    package static func named(_ name: some StringProtocol) -> Errno? {
        for raw in Int32(1)...Int32(133) where Errno(rawValue: raw).symbolicName == name {
            return Errno(rawValue: raw)
        }
        return nil
    }
}
