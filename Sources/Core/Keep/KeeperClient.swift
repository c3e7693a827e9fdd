import CShims
import Glibc
import SystemPackage

/// Talks to a keeper (`adopt hold`) over its socket: one connection per
/// client object, any number of requests on it.
public final class KeeperClient {
    public let socketPath: String
    private let socket: FileDescriptor
    private var pending: [UInt8] = []
    private var pendingFDs: [FileDescriptor] = []

    /// Connects; `timeout` bounds every later send and receive (ms).
    public init(socketPath: String, timeout: Int32 = 10_000) throws(KeeperError) {
        self.socketPath = socketPath
        do {
            socket = try FdPassing.connect(to: socketPath)
        } catch {
            let hint = error == .noSuchFileOrDirectory || error == .connectionRefused ? "no keeper is listening there" : "cannot connect"
            throw KeeperError(socket: socketPath, request: "connect", errno: error, hint)
        }
        _ = rfd_socket_timeouts(socket.rawValue, timeout, timeout)
    }

    deinit {
        pendingFDs.forEach { try? $0.close() }
        try? socket.close()
    }

    /// Sends `line` (with `fds` attached) and reads the whole reply. An
    /// "err" status line is thrown as a KeeperError with the keeper's errno.
    public func request(_ line: String, fds: [FileDescriptor] = []) throws(KeeperError) -> KeeperReply {
        let verb = String(line.split(separator: " ").first ?? "")
        let label = line.split(separator: " ").prefix(2).joined(separator: " ")
        do {
            try FdPassing.send(Array((line + "\n").utf8), fds: fds, on: socket)
        } catch {
            throw KeeperError(socket: socketPath, request: label, errno: error, "cannot send the request")
        }
        var reply = KeeperReply()
        while true {
            let next: String
            do {
                next = try readLine()
            } catch {
                throw KeeperError(socket: socketPath, request: label, errno: error == .resourceTemporarilyUnavailable ? .timedOut : error,
                                  error == .resourceTemporarilyUnavailable ? "no reply in time" : "the keeper closed the connection")
            }
            if next.hasPrefix("buffer "), let info = HeldBufferInfo(words: next.dropFirst(7)) {
                reply.buffers.append(info)
            } else if next == "ok" || next.hasPrefix("ok ") {
                reply.okWords = String(next.dropFirst(next == "ok" ? 2 : 3))
                reply.fds = pendingFDs
                pendingFDs = []
                return reply
            } else if next.hasPrefix("err ") {
                pendingFDs.forEach { try? $0.close() }
                pendingFDs = []
                let words = next.dropFirst(4)
                let name = words.prefix { $0 != " " }
                let message = words.dropFirst(name.count).drop { $0 == " " }
                throw KeeperError(socket: socketPath, request: label, errno: Errno.named(name), String(message))
            } else {
                throw KeeperError(socket: socketPath, request: verb, errno: .protocolError, "unexpected reply line '\(next)'")
            }
        }
    }

    private func readLine() throws(Errno) -> String {
        while true {
            if let nl = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[..<nl], as: UTF8.self)
                pending.removeSubrange(...nl)
                return line
            }
            let got = try FdPassing.receive(on: socket)
            pendingFDs += got.fds
            if got.bytes.isEmpty { throw Errno.connectionReset }
            pending += got.bytes
        }
    }

    // MARK: the verbs

    public func list() throws(KeeperError) -> [HeldBufferInfo] {
        try request("list").buffers
    }

    /// The buffer's fields and our own fd for it (close-on-exec).
    public func get(_ name: String) throws(KeeperError) -> (HeldBufferInfo, FileDescriptor) {
        let reply = try request("get \(name)")
        guard let info = HeldBufferInfo(words: reply.okWords), reply.fds.count == 1 else {
            reply.fds.forEach { try? $0.close() }
            throw KeeperError(socket: socketPath, request: "get \(name)", errno: .protocolError,
                              "the reply carried \(reply.fds.count) fds and '\(reply.okWords)'")
        }
        return (info, reply.fds[0])
    }

    public func release(_ name: String) throws(KeeperError) {
        _ = try request("release \(name)")
    }

    /// Gives `fd` to the keeper under `name`; `pid`/`fd` say where it came from.
    @discardableResult
    public func add(_ name: String, descriptor: FileDescriptor, sourcePID: pid_t = -1, sourceFD: Int32 = -1) throws(KeeperError) -> HeldBufferInfo? {
        HeldBufferInfo(words: try request("add \(name) \(sourcePID) \(sourceFD)", fds: [descriptor]).okWords)
    }

    /// Asks the keeper to hand everything to the keeper at `successor` and exit.
    /// Returns how many buffers went over.
    public func handover(to successor: String) throws(KeeperError) -> Int {
        Int(try request("handover \(successor)").okWords.split(separator: " ").first ?? "") ?? 0
    }
}
