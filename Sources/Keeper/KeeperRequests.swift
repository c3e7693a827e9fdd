// SPDX-License-Identifier: Apache-2.0
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

    /// One request line → one reply. `fds` came with the line: a verb that
    /// keeps one `take()`s it; the caller closes the rest.
    func handle(_ line: String, fds: ReceivedFDs, from peer: FdPassing.PeerCredentials) -> Reply {
        if fds.truncated {
            // Some of its fds never arrived: act on none of it.
            return .err(.messageTooLong, "the fds attached to the request were cut short (MSG_CTRUNC); nothing done")
        }
        let request: KeeperRequest
        do {
            request = try KeeperRequest(line: line)
        } catch {
            return .err(.invalidArgument, error.message)
        }
        guard fds.count == request.attachedFDs else {
            return .err(.invalidArgument, "\(request.verb) takes \(request.attachedFDs) fd(s) attached, got \(fds.count)")
        }
        switch request {
        case .list:
            return list(for: peer)
        case .get(let name):
            return get(name, for: peer)
        case .release(let name):
            return release(name, for: peer)
        case .add(let name, let source):
            return add(name, owner: peer.uid, source: source, verb: "add", line: line, fd: fds.take()!)
        case .importBuffer(let name, let owner, let source):
            guard isTrusted(peer) else { return .err(.permissionDenied, "only root or uid \(geteuid()) may import buffers") }
            return add(name, owner: owner, source: source, verb: "import", line: line, fd: fds.take()!)
        case .take(let name, let type, let id, let owner):
            return take(name, type: type, id: id, owner: isTrusted(peer) ? owner ?? peer.uid : peer.uid, peer: peer,
                        line: line)
        case .listener(let path):
            return listener(path, for: peer, fd: fds.take()!)
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
            guard h.file.hasDescriptor else {
                return .err(.badFileDescriptor, "\(name) is \(h.file.origin), held attached without an fd: take it by that id")
            }
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
    /// `fd` is the request's: kept, or closed here.
    private func add(_ name: String, owner: uid_t, source: KeeperRequest.Source?, verb: String,
                     line: String, fd: FileDescriptor) -> Reply {
        let sourcePID = source?.pid ?? -1
        let sourceFD = source?.fd ?? -1
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

    /// `take`: the keeper takes the resource by id itself (no fd travels),
    /// if the peer may take it (the handler's rule, the kernel's own).
    private func take(_ name: String, type: String, id: Int32, owner: uid_t, peer: FdPassing.PeerCredentials,
                      line: String) -> Reply {
        guard let source = handlers.handler(type: type) as? any IdentifiedResources else {
            return .err(.invalidArgument, "no handler of type '\(type)' takes resources by id")
        }
        guard peer.uid == 0 || source.allows(uid: peer.uid, gid: peer.gid, id: id) else {
            return .err(.permissionDenied, "\(source.idName) \(id): uid \(peer.uid) may not attach it")
        }
        do {
            try state.check(name)
            let file = try source.adopt(id: id)
            guard let adoption = Adoption.identify(file, handlers: handlers) else {
                return .err(.invalidArgument, "\(file.source) is not \(source.displayName)")
            }
            let attachment = try adoption.open()
            let info = HeldBufferInfo(name: name, type: adoption.type, size: attachment.size, ownerUID: owner,
                                      sourcePID: -1, sourceFD: -1, inode: file.inode)
            try keep(file, info: info, request: line, attachment: attachment)
            return .ok(info.words)
        } catch let error as KeeperState.KeepRefusal {
            return error == .badName ? .err(.invalidArgument, "bad buffer name '\(name)' (\(KeeperProtocol.nameRule))")
                : .err(.fileExists, "a buffer named \(name) is already held")
        } catch let error as AdoptError {
            return .err(error.errno ?? .invalidArgument, error.detail)
        } catch let error as KeeperError {
            return .err(error.errno ?? .invalidArgument, error.message)
        } catch {
            return .err(.invalidArgument, "\(error)")
        }
    }

    /// `fd` is the request's: kept as a listener, or closed here.
    private func listener(_ path: String, for peer: FdPassing.PeerCredentials, fd: FileDescriptor) -> Reply {
        if let refusal = refusal(ofListener: fd, path: path, for: peer) {
            try? fd.close()
            return refusal
        }
        listeners.append(Listener(socket: fd, path: path))
        var fields = Description()
        fields.append("socket", path)
        report("listening", fields)
        return .ok()
    }

    /// Why `fd` may not be served at `path` (nil: it may). It is polled and
    /// accepted on for the keeper's life: only a listening Unix stream
    /// socket will do (a pipe would be kept for nothing, or spin the loop).
    private func refusal(ofListener fd: FileDescriptor, path: String, for peer: FdPassing.PeerCredentials) -> Reply? {
        guard isTrusted(peer) else { return .err(.permissionDenied, "only root or uid \(geteuid()) may pass listeners") }
        func option(_ name: Int32) -> Int32? {
            var value: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            return getsockopt(fd.rawValue, SOL_SOCKET, name, &value, &length) == 0 ? value : nil
        }
        guard let domain = option(SO_DOMAIN) else {
            return .err(.current, "listener \(path): the fd attached is not a socket")
        }
        guard domain == AF_UNIX, option(SO_TYPE) == Int32(SOCK_STREAM.rawValue), option(SO_ACCEPTCONN) == 1 else {
            return .err(.invalidArgument, "listener \(path): the fd attached is not a listening Unix stream socket")
        }
        if listeners.contains(where: { $0.path == path }) {
            return .err(.fileExists, "listener \(path): this keeper serves that path already")
        }
        return nil
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
                if case .ipc(_, let id) = h.file.origin, !h.file.hasDescriptor {
                    try successor.take(h.info.name, type: h.info.type, id: id, owner: h.info.ownerUID)
                    continue
                }
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
