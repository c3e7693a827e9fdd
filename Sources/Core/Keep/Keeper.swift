import CShims
import Glibc
import SystemPackage

/// `adopt hold`: keeps adopted buffers alive and serves them on a Unix
/// socket (see `KeeperProtocol`). Single-threaded: one poll(2) loop over
/// the listening sockets, the clients and a signalfd (SIGINT, SIGTERM,
/// SIGHUP end it). A request is acted on only when its whole line has
/// arrived, so a client dying mid-request changes nothing.
public final class Keeper {
    /// One buffer held.
    final class Held {
        var info: HeldBufferInfo
        let file: AdoptedFile

        init(info: HeldBufferInfo, file: AdoptedFile) {
            self.info = info
            self.file = file
        }
    }

    final class Client {
        let socket: FileDescriptor
        let peer: FdPassing.PeerCredentials
        var input: [UInt8] = []
        var fds: [FileDescriptor] = []

        init(socket: FileDescriptor, peer: FdPassing.PeerCredentials) {
            self.socket = socket
            self.peer = peer
        }

        func close() {
            fds.forEach { try? $0.close() }
            fds = []
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
    private var listeners: [Listener] = []
    private var held: [Held] = []
    private var clients: [Client] = []
    private let report: Reporter
    private var signals: FileDescriptor?
    private var stopping = false
    /// Handed over: the paths now belong to the successor.
    private var handedOver = false

    public static let maxClients = 256

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
        held.map { h in
            var info = h.info
            info.size = h.file.currentSize
            return info
        }
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
        try keep(adoption.file, type: adoption.type, name: name, owner: owner,
                 sourcePID: adoption.file.pid, sourceFD: adoption.file.fd, request: "keep \(name)")
    }

    private func keep(_ file: AdoptedFile, type: String, name: String, owner: uid_t,
                      sourcePID: pid_t, sourceFD: Int32, request: String) throws(KeeperError) {
        guard KeeperProtocol.isValidName(name) else {
            throw KeeperError(socket: socketName, request: request, errno: .invalidArgument,
                              "bad buffer name '\(name)' (\(KeeperProtocol.nameRule))")
        }
        guard !held.contains(where: { $0.info.name == name }) else {
            throw KeeperError(socket: socketName, request: request, errno: .fileExists, "a buffer named \(name) is already held")
        }
        let info = HeldBufferInfo(name: name, type: type, size: file.currentSize, ownerUID: owner,
                                  sourcePID: sourcePID, sourceFD: sourceFD, inode: file.inode)
        held.append(Held(info: info, file: file))
        report("added", info.description)
    }

    private var socketName: String { listeners.first?.path ?? "-" }

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
        fields.append("buffers", held.map(\.info.name))
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
        done.append("buffers", held.map(\.info.name))
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
        client.fds += got.fds
        if got.bytes.isEmpty {
            // EOF: whatever half request and fds it left are dropped.
            drop(client)
            return
        }
        client.input += got.bytes
        while let nl = client.input.firstIndex(of: UInt8(ascii: "\n")) {
            let line = String(decoding: client.input[..<nl], as: UTF8.self)
            client.input.removeSubrange(...nl)
            let reply = handle(line, from: client)
            let fdsToClose = client.fds
            client.fds = []
            do {
                try FdPassing.send(Array(reply.text.utf8), fds: reply.fds, on: client.socket)
            } catch {
                fdsToClose.forEach { try? $0.close() }
                drop(client)
                return
            }
            fdsToClose.forEach { try? $0.close() }
            if stopping { return }
        }
        if client.input.count > KeeperProtocol.maxRequestLength {
            _ = try? FdPassing.send(Array("err E2BIG request longer than \(KeeperProtocol.maxRequestLength) bytes\n".utf8), on: client.socket)
            drop(client)
        }
    }

    struct Reply {
        var text: String
        var fds: [FileDescriptor] = []

        static func ok(_ words: String = "") -> Reply { Reply(text: words.isEmpty ? "ok\n" : "ok \(words)\n") }
        static func err(_ errno: Errno, _ message: String) -> Reply { Reply(text: "err \(errno.symbolicName) \(message)\n") }
    }

    private func isTrusted(_ peer: FdPassing.PeerCredentials) -> Bool {
        peer.uid == 0 || peer.uid == geteuid()
    }

    private func mayUse(_ h: Held, _ peer: FdPassing.PeerCredentials) -> Bool {
        peer.uid == 0 || peer.uid == h.info.ownerUID
    }

    /// One request → one reply. Fds the request brought are in client.fds;
    /// a verb that keeps one removes it from there (the rest are closed).
    private func handle(_ line: String, from client: Client) -> Reply {
        let words = line.split(separator: " ").map(String.init)
        guard let verb = words.first else { return .err(.invalidArgument, "empty request") }
        let peer = client.peer
        switch (verb, words.count) {
        case ("list", 1):
            let visible = held.filter { mayUse($0, peer) }
            var text = ""
            for h in visible {
                var info = h.info
                info.size = h.file.currentSize
                text += "buffer \(info.words)\n"
            }
            return Reply(text: text + "ok \(visible.count)\n")

        case ("get", 2), ("release", 2):
            guard let h = held.first(where: { $0.info.name == words[1] }) else {
                return .err(.noSuchFileOrDirectory, "no buffer named \(words[1])")
            }
            guard mayUse(h, peer) else {
                var refused = h.info.description
                refused.append("peer_uid", Int(peer.uid))
                refused.append("peer_pid", Int(peer.pid))
                report("refused", refused)
                return .err(.permissionDenied, "buffer \(h.info.name) belongs to uid \(h.info.ownerUID); uid \(peer.uid) may not \(verb) it")
            }
            var info = h.info
            info.size = h.file.currentSize
            if verb == "get" {
                var fields = info.description
                fields.append("to_pid", Int(peer.pid))
                report("given", fields)
                return Reply(text: "ok \(info.words)\n", fds: [h.file.descriptor])
            }
            held.removeAll { $0 === h }
            report("released", info.description)
            return .ok()

        case ("add", 2), ("add", 4), ("import", 5):
            guard client.fds.count == 1 else {
                return .err(.invalidArgument, "\(verb) needs exactly one fd attached (got \(client.fds.count))")
            }
            if verb == "import" && !isTrusted(peer) {
                return .err(.permissionDenied, "only root or uid \(geteuid()) may import buffers")
            }
            let owner = verb == "import" ? uid_t(words[2]) : peer.uid
            let pidWord = verb == "import" ? words[3] : (words.count == 4 ? words[2] : "-1")
            let fdWord = verb == "import" ? words[4] : (words.count == 4 ? words[3] : "-1")
            guard let owner, let sourcePID = pid_t(pidWord), let sourceFD = Int32(fdWord) else {
                return .err(.invalidArgument, "bad numbers in '\(line)'")
            }
            let fd = client.fds.removeFirst()
            let file: AdoptedFile
            do {
                file = try AdoptedFile(descriptor: fd, pid: sourcePID, fd: sourceFD, backendName: verb)
            } catch {
                try? fd.close()
                return .err(error, "fstat of the received fd failed")
            }
            guard let handler = handlers.handler(for: file) else {
                return .err(.invalidArgument, "not an adoptable buffer: \(FileKind.describe(file))")
            }
            do {
                try keep(file, type: handler.type, name: words[1], owner: owner,
                         sourcePID: sourcePID, sourceFD: sourceFD, request: line)
            } catch {
                return .err(error.errno ?? .invalidArgument, error.message)
            }
            return .ok(held.last!.info.words)

        case ("listener", 2):
            guard isTrusted(peer) else { return .err(.permissionDenied, "only root or uid \(geteuid()) may pass listeners") }
            guard client.fds.count == 1 else { return .err(.invalidArgument, "listener needs one fd attached") }
            listeners.append(Listener(socket: client.fds.removeFirst(), path: words[1]))
            var fields = Description()
            fields.append("socket", words[1])
            report("listening", fields)
            return .ok()

        case ("handover", 2):
            guard isTrusted(peer) else { return .err(.permissionDenied, "only root or uid \(geteuid()) may hand the keeper over") }
            return handover(to: words[1])

        default:
            return .err(.invalidArgument, "unknown request '\(line.prefix(80))' (list, get NAME, release NAME, add NAME [PID FD], handover PATH)")
        }
    }

    /// Imports every buffer into the keeper at `path`, passes it our
    /// listening sockets (so clients keep their path), then stops. If the
    /// successor refuses anything, nothing is given up here.
    private func handover(to path: String) -> Reply {
        if listeners.contains(where: { $0.path == path }) {
            return .err(.invalidArgument, "\(path) is this keeper's own socket")
        }
        let successor: KeeperClient
        do {
            successor = try KeeperClient(socketPath: path, timeout: 5000)
        } catch {
            return .err(error.errno ?? .connectionRefused, "successor \(path): \(error.message)")
        }
        for h in held {
            do {
                _ = try successor.request("import \(h.info.name) \(h.info.ownerUID) \(h.info.sourcePID) \(h.info.sourceFD)",
                                          fds: [h.file.descriptor])
            } catch {
                return .err(error.errno ?? .protocolError, "successor \(path) refused \(h.info.name): \(error.message); this keeper keeps everything")
            }
        }
        for listener in listeners {
            do {
                _ = try successor.request("listener \(listener.path)", fds: [listener.socket])
            } catch {
                return .err(error.errno ?? .protocolError, "successor \(path) took the buffers but not the listener \(listener.path): \(error.message)")
            }
        }
        var fields = Description()
        fields.append("to", path)
        fields.append("buffers", held.map(\.info.name))
        report("handed-over", fields)
        let count = held.count
        held = []
        handedOver = true
        stopping = true
        return .ok("\(count)")
    }
}
