// SPDX-License-Identifier: Apache-2.0
import CShims
import Glibc
import RemoteFD
import RemoteFDHandOff
import SystemPackage

/// Talks to a keeper (`adopt hold`) over its socket: one connection per
/// client object, any number of requests on it; one method per verb.
public final class KeeperClient {
    public let socketPath: String
    private let socket: FileDescriptor
    private var pending: [UInt8] = []
    /// Fds that came with the reply being read.
    private let pendingFDs = ReceivedFDs()

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
        try? socket.close()
    }

    /// Sends `request` (with `fds` attached) and reads the whole reply. An
    /// "err" status line is thrown as a KeeperError with the keeper's errno.
    public func send(_ request: KeeperRequest, fds: [FileDescriptor] = []) throws(KeeperError) -> KeeperReply {
        let label = request.label
        do {
            try FdPassing.send(Array((request.line + "\n").utf8), fds: fds, on: socket)
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
                continue
            }
            switch KeeperStatus(line: next) {
            case .ok(let words)?:
                reply.okWords = words
                reply.fds = pendingFDs.takeAll()
                return reply
            case .err(let name, let message)?:
                pendingFDs.closeRest()
                throw KeeperError(socket: socketPath, request: label, errno: Errno.named(name), message)
            case nil:
                pendingFDs.closeRest()
                throw KeeperError(socket: socketPath, request: request.verb, errno: .protocolError, "unexpected reply line '\(next)'")
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
            pendingFDs.absorb(got.fds)
            if got.bytes.isEmpty { throw Errno.connectionReset }
            pending += got.bytes
        }
    }

    // MARK: the verbs

    public func list() throws(KeeperError) -> [HeldBufferInfo] {
        try send(.list).buffers
    }

    /// The buffer's fields and our own fd for it (close-on-exec).
    public func get(_ name: String) throws(KeeperError) -> (HeldBufferInfo, FileDescriptor) {
        let reply = try send(.get(name: name))
        guard let info = HeldBufferInfo(words: reply.okWords), reply.fds.count == 1, let fd = reply.fds.take() else {
            throw KeeperError(socket: socketPath, request: "get \(name)", errno: .protocolError,
                              "the reply carried \(reply.fds.count) fds and '\(reply.okWords)'")
        }
        return (info, fd)
    }

    public func release(_ name: String) throws(KeeperError) {
        _ = try send(.release(name: name))
    }

    /// Gives `descriptor` to the keeper under `name`; `source` says where it
    /// came from (nil: unknown).
    @discardableResult
    public func add(_ name: String, descriptor: FileDescriptor, source: KeeperRequest.Source? = nil) throws(KeeperError) -> HeldBufferInfo? {
        HeldBufferInfo(words: try send(.add(name: name, source: source), fds: [descriptor]).okWords)
    }

    /// Asks the keeper to take the resource with id `id` itself, through
    /// the handler of `type` (a System V segment: it has no fd to pass).
    @discardableResult
    public func take(_ name: String, type: String, id: Int32, owner: uid_t? = nil) throws(KeeperError) -> HeldBufferInfo? {
        HeldBufferInfo(words: try send(.take(name: name, type: type, id: id, owner: owner)).okWords)
    }

    /// Gives `adoption` to the keeper under `name`: its fd, or for a
    /// resource held without one (attached by id), its id to take.
    @discardableResult
    public func hold(_ adoption: Adoption, name: String) throws(KeeperError) -> HeldBufferInfo? {
        let file = adoption.file
        if file.hasDescriptor {
            return try add(name, descriptor: file.descriptor,
                           source: file.pid.map { KeeperRequest.Source(pid: $0, fd: file.fd ?? -1) })
        }
        guard case .ipc(_, let id) = file.origin else {
            throw KeeperError(socket: socketPath, request: "add \(name)", errno: .badFileDescriptor,
                              "\(file.source) is held without an fd or an id: nothing to give the keeper")
        }
        return try take(name, type: adoption.type, id: id)
    }

    /// A keeper handing over: `info`'s buffer, owner kept (root or the
    /// keeper's uid only).
    public func importBuffer(_ info: HeldBufferInfo, descriptor: FileDescriptor) throws(KeeperError) {
        _ = try send(.importBuffer(name: info.name, owner: info.ownerUID,
                                   source: KeeperRequest.Source(pid: info.sourcePID, fd: info.sourceFD)),
                     fds: [descriptor])
    }

    /// Passes a listening socket to serve too (root or the keeper's uid only).
    public func listener(_ path: String, socket listening: FileDescriptor) throws(KeeperError) {
        _ = try send(.listener(path: path), fds: [listening])
    }

    /// Asks the keeper to hand everything to the keeper at `successor` and exit.
    /// Returns how many buffers went over.
    public func handover(to successor: String) throws(KeeperError) -> Int {
        Int(try send(.handover(path: successor)).okWords.split(separator: " ").first ?? "") ?? 0
    }
}
