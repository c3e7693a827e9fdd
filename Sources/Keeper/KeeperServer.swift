// SPDX-License-Identifier: Apache-2.0
import CShims
import Glibc
import RemoteFD
import RemoteFDHandOff
import SystemPackage

/// `adopt hold`: keeps adopted buffers alive and serves them on a Unix
/// socket (see `KeeperProtocol`). This file is the loop; the books are
/// `KeeperState`, the answers to each `KeeperRequest` are in
/// KeeperRequests.swift. Single-threaded: one poll(2) loop over
/// the listening sockets, the clients and a signalfd (SIGINT, SIGTERM,
/// SIGHUP end it). A request is acted on only when its whole line has
/// arrived, so a client dying mid-request changes nothing.
public final class Keeper {
    final class Client {
        let socket: FileDescriptor
        let peer: FdPassing.PeerCredentials
        var input: [UInt8] = []
        /// The fds that came with the unfinished line in `input`.
        let pending = ReceivedFDs()

        init(socket: FileDescriptor, peer: FdPassing.PeerCredentials) {
            self.socket = socket
            self.peer = peer
        }

        func close() {
            pending.closeRest()
            try? socket.close()
        }
    }

    struct Listener {
        let socket: FileDescriptor
        let path: String
    }

    /// What happened, for the command to print: an event name and fields.
    public typealias Reporter = (_ event: String, _ fields: Description) -> Void

    public let handlers: HandlerRegistry
    var listeners: [Listener] = []
    var state = KeeperState()
    private var clients: [Client] = []
    let report: Reporter
    private var signals: FileDescriptor?
    var stopping = false
    /// Handed over: the paths now belong to the successor.
    var handedOver = false

    public static let maxClients = 256
    /// No request takes more than one fd: a line that has gathered more
    /// than one message's worth ends its connection.
    static let maxPendingFDs = Int(RFD_MAX_PASSED_FDS)

    public init(handlers: HandlerRegistry, report: @escaping Reporter) {
        self.handlers = handlers
        self.report = report
    }

    deinit {
        clients.forEach { $0.close() }
        for listener in listeners {
            try? listener.socket.close()
        }
        try? signals?.close()
    }

    /// What the keeper holds now.
    public var buffers: [HeldBufferInfo] {
        state.held.map(\.current)
    }

    /// Starts serving `path` (file mode `mode`).
    public func listen(at path: String, mode: mode_t) throws(KeeperError) {
        do {
            listeners.append(Listener(socket: try FdPassing.listen(at: path, mode: mode), path: path))
        } catch {
            throw KeeperError(socket: path, request: "listen", errno: error,
                              error == .addressInUse ? "another keeper is serving this path" : "cannot listen")
        }
    }

    /// Keeps `adoption` under `name`, owned by `owner`.
    public func keep(_ adoption: Adoption, name: String, owner: uid_t) throws(KeeperError) {
        let file = adoption.file
        let info = HeldBufferInfo(name: name, type: adoption.type, size: file.currentSize, ownerUID: owner,
                                  sourcePID: file.pid ?? -1, sourceFD: file.fd ?? -1, inode: file.inode)
        try keep(file, info: info, request: "keep \(name)")
    }

    /// Keeps `file` as `info` says, reporting "added".
    func keep(_ file: AdoptedFile, info: HeldBufferInfo, request: String,
              attachment: (any BufferAccess)? = nil) throws(KeeperError) {
        do {
            _ = try state.keep(file, info: info, attachment: attachment)
        } catch {
            switch error {
            case .badName:
                throw KeeperError(socket: socketName, request: request, errno: .invalidArgument,
                                  "bad buffer name '\(info.name)' (\(KeeperProtocol.nameRule))")
            case .duplicate:
                throw KeeperError(socket: socketName, request: request, errno: .fileExists,
                                  "a buffer named \(info.name) is already held")
            }
        }
        report("added", info.description)
    }

    var socketName: String { listeners.first?.path ?? "-" }

    // MARK: the loop

    /// Serves until SIGINT/SIGTERM/SIGHUP or a handover. Returns the signal
    /// that ended it (0 after a handover).
    @discardableResult
    public func run() throws(KeeperError) -> Int32 {
        signal(SIGPIPE, SIG_IGN)
        let sfd = rfd_termination_signalfd()
        guard sfd >= 0 else {
            throw KeeperError(socket: socketName, request: "signalfd", errno: .current, "cannot watch for signals")
        }
        signals = FileDescriptor(rawValue: sfd)
        var fields = Description()
        fields.append("sockets", listeners.map(\.path))
        fields.append("buffers", state.names)
        fields.append("pid", Int(getpid()))
        report("ready", fields)
        var endedBy: Int32 = 0
        while !stopping {
            var pfds = [pollfd(fd: sfd, events: Int16(POLLIN), revents: 0)]
            pfds += listeners.map { pollfd(fd: $0.socket.rawValue, events: Int16(POLLIN), revents: 0) }
            pfds += clients.map { pollfd(fd: $0.socket.rawValue, events: Int16(POLLIN), revents: 0) }
            let n = poll(&pfds, nfds_t(pfds.count), -1)
            if n < 0 {
                if Errno.current == .interrupted { continue }
                throw KeeperError(socket: socketName, request: "poll", errno: .current, "the keeper's loop failed")
            }
            if pfds[0].revents != 0 {
                let sig = rfd_read_signalfd(sfd)
                if sig > 0 {
                    endedBy = sig
                    stopping = true
                    break
                }
            }
            let listenerCount = listeners.count
            let clientsBefore = clients
            for (i, listener) in listeners.enumerated() where pfds[1 + i].revents != 0 {
                accept(on: listener)
            }
            for (i, client) in clientsBefore.enumerated() where pfds[1 + listenerCount + i].revents != 0 {
                service(client)
                if stopping { break }
            }
        }
        clients.forEach { $0.close() }
        clients = []
        if !handedOver {
            for listener in listeners where !listener.path.hasPrefix("@") { unlink(listener.path) }
        }
        var done = Description()
        done.append("reason", endedBy == 0 ? "handed over" : "signal \(endedBy)")
        done.append("buffers", state.names)
        report("stopped", done)
        return endedBy
    }

    private func accept(on listener: Listener) {
        let raw = rfd_accept_cloexec(listener.socket.rawValue)
        guard raw >= 0 else { return }
        let socket = FileDescriptor(rawValue: raw)
        guard clients.count < Self.maxClients, let peer = try? FdPassing.peer(of: socket) else {
            _ = try? FdPassing.send(Array("err EMFILE too many clients\n".utf8), on: socket)
            try? socket.close()
            return
        }
        // A client that stops reading cannot hold the keeper for long.
        _ = rfd_socket_timeouts(raw, 2000, 0)
        clients.append(Client(socket: socket, peer: peer))
    }

    private func drop(_ client: Client) {
        client.close()
        clients.removeAll { $0 === client }
    }

    /// Reads what `client` sent and acts on every complete line.
    private func service(_ client: Client) {
        let got: FdPassing.Received
        do {
            got = try FdPassing.receive(on: client.socket, maxBytes: KeeperProtocol.maxRequestLength)
        } catch {
            if error != .interrupted && error != .resourceTemporarilyUnavailable { drop(client) }
            return
        }
        client.pending.absorb(got.fds)
        if got.bytes.isEmpty {
            // EOF: whatever half request and fds it left are dropped.
            drop(client)
            return
        }
        if client.pending.count > Self.maxPendingFDs {
            _ = try? FdPassing.send(Array("err ETOOMANYREFS more than \(Self.maxPendingFDs) fds attached to one request\n".utf8), on: client.socket)
            drop(client)
            return
        }
        client.input += got.bytes
        while let nl = client.input.firstIndex(of: UInt8(ascii: "\n")) {
            let line = String(decoding: client.input[..<nl], as: UTF8.self)
            client.input.removeSubrange(...nl)
            // The line's fds are its own: those the request did not take are
            // closed once it is handled, whatever the answer.
            let fds = client.pending.takeAll()
            let reply = handle(line, fds: fds, from: client.peer)
            fds.closeRest()
            do {
                try FdPassing.send(Array(reply.text.utf8), fds: reply.fds, on: client.socket)
            } catch {
                drop(client)
                return
            }
            if stopping { return }
        }
        if client.input.count > KeeperProtocol.maxRequestLength {
            _ = try? FdPassing.send(Array("err E2BIG request longer than \(KeeperProtocol.maxRequestLength) bytes\n".utf8), on: client.socket)
            drop(client)
        }
    }
}
