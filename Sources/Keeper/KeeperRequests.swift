import Glibc
import RemoteFD
import RemoteFDHandOff
import SystemPackage

/// The keeper's answers: one method per verb of `KeeperRequest`.
extension Keeper {
    struct Reply {
        var text: String
        var fds: [FileDescriptor] = []

        static func ok(_ words: String = "") -> Reply { Reply(text: KeeperStatus.ok(words).line + "\n") }
        static func err(_ errno: Errno, _ message: String) -> Reply {
            Reply(text: KeeperStatus.err(errnoName: errno.symbolicName, message: message).line + "\n")
        }
    }

    /// Root or the keeper's own uid: may import, pass listeners, hand over.
    private func isTrusted(_ peer: FdPassing.PeerCredentials) -> Bool {
        peer.uid == 0 || peer.uid == geteuid()
    }

    /// One request line → one reply. Fds the request brought are in
    /// client.fds; a verb that keeps one removes it from there (the rest are
    /// closed by the caller).
    func handle(_ line: String, from client: Client) -> Reply {
        let request: KeeperRequest
        do {
            request = try KeeperRequest(line: line)
        } catch {
            return .err(.invalidArgument, error.message)
        }
        let peer = client.peer
        switch request {
        case .list:
            return list(for: peer)
        case .get(let name):
            return get(name, for: peer)
        case .release(let name):
            return release(name, for: peer)
        case .add(let name, let source):
            return add(name, owner: peer.uid, source: source, verb: "add", line: line, from: client)
        case .importBuffer(let name, let owner, let source):
            guard isTrusted(peer) else { return .err(.permissionDenied, "only root or uid \(geteuid()) may import buffers") }
            return add(name, owner: owner, source: source, verb: "import", line: line, from: client)
        case .listener(let path):
            return listener(path, for: peer, from: client)
        case .handover(let path):
            guard isTrusted(peer) else { return .err(.permissionDenied, "only root or uid \(geteuid()) may hand the keeper over") }
            return handover(to: path)
        }
    }

    private func list(for peer: FdPassing.PeerCredentials) -> Reply {
        let visible = state.visible(to: peer.uid)
        var text = ""
        for h in visible { text += "buffer \(h.current.words)\n" }
        return Reply(text: text + KeeperStatus.ok("\(visible.count)").line + "\n")
    }

    /// The buffer `name` if `peer` may use it for `verb`; else the refusal.
    private func usable(_ name: String, by peer: FdPassing.PeerCredentials, verb: String) -> Result<KeeperState.Held, KeeperReplyRefusal> {
        guard let h = state.buffer(named: name) else {
            return .failure(KeeperReplyRefusal(reply: .err(.noSuchFileOrDirectory, "no buffer named \(name)")))
        }
        guard KeeperState.may(peer.uid, use: h) else {
            var refused = h.info.description
            refused.append("peer_uid", Int(peer.uid))
            refused.append("peer_pid", Int(peer.pid))
            report("refused", refused)
            return .failure(KeeperReplyRefusal(reply: .err(.permissionDenied,
                "buffer \(h.info.name) belongs to uid \(h.info.ownerUID); uid \(peer.uid) may not \(verb) it")))
        }
        return .success(h)
    }

    private func get(_ name: String, for peer: FdPassing.PeerCredentials) -> Reply {
        switch usable(name, by: peer, verb: "get") {
        case .failure(let refusal): return refusal.reply
        case .success(let h):
            let info = h.current
            var fields = info.description
            fields.append("to_pid", Int(peer.pid))
            report("given", fields)
            return Reply(text: KeeperStatus.ok(info.words).line + "\n", fds: [h.file.descriptor])
        }
    }

    private func release(_ name: String, for peer: FdPassing.PeerCredentials) -> Reply {
        switch usable(name, by: peer, verb: "release") {
        case .failure(let refusal): return refusal.reply
        case .success(let h):
            let info = h.current
            state.remove(h)
            report("released", info.description)
            return .ok()
        }
    }

    /// `add` (owner: the peer) and `import` (owner: as the old keeper says).
    private func add(_ name: String, owner: uid_t, source: KeeperRequest.Source?, verb: String,
                     line: String, from client: Client) -> Reply {
        guard client.fds.count == 1 else {
            return .err(.invalidArgument, "\(verb) needs exactly one fd attached (got \(client.fds.count))")
        }
        let sourcePID = source?.pid ?? -1
        let sourceFD = source?.fd ?? -1
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
        let info = HeldBufferInfo(name: name, type: handler.type, size: file.currentSize, ownerUID: owner,
                                  sourcePID: sourcePID, sourceFD: sourceFD, inode: file.inode)
        do {
            try keep(file, info: info, request: line)
        } catch {
            return .err(error.errno ?? .invalidArgument, error.message)
        }
        return .ok(info.words)
    }

    private func listener(_ path: String, for peer: FdPassing.PeerCredentials, from client: Client) -> Reply {
        guard isTrusted(peer) else { return .err(.permissionDenied, "only root or uid \(geteuid()) may pass listeners") }
        guard client.fds.count == 1 else { return .err(.invalidArgument, "listener needs one fd attached") }
        listeners.append(Listener(socket: client.fds.removeFirst(), path: path))
        var fields = Description()
        fields.append("socket", path)
        report("listening", fields)
        return .ok()
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
        for h in state.held {
            do {
                try successor.importBuffer(h.info, descriptor: h.file.descriptor)
            } catch {
                return .err(error.errno ?? .protocolError, "successor \(path) refused \(h.info.name): \(error.message); this keeper keeps everything")
            }
        }
        for listener in listeners {
            do {
                try successor.listener(listener.path, socket: listener.socket)
            } catch {
                return .err(error.errno ?? .protocolError, "successor \(path) took the buffers but not the listener \(listener.path): \(error.message)")
            }
        }
        var fields = Description()
        fields.append("to", path)
        fields.append("buffers", state.names)
        report("handed-over", fields)
        let count = state.held.count
        state.removeAll()
        handedOver = true
        stopping = true
        return .ok("\(count)")
    }
}

/// A refusal already phrased as the reply to send.
struct KeeperReplyRefusal: Error {
    let reply: Keeper.Reply
}
