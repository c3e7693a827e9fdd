// SPDX-License-Identifier: Apache-2.0
import Glibc
import RemoteFD

/// What a keeper holds and who may use it: the buffers by name, each with
/// the uid that added it. No I/O: the server reads and writes sockets, the
/// request handlers decide, this keeps the books.
struct KeeperState {
    /// One buffer held.
    final class Held {
        var info: HeldBufferInfo
        let file: AdoptedFile
        /// What keeps a resource without an fd (a segment attached by
        /// id): mapped here for as long as it is held.
        let attachment: (any BufferAccess)?

        init(info: HeldBufferInfo, file: AdoptedFile, attachment: (any BufferAccess)? = nil) {
            self.info = info
            self.file = file
            self.attachment = attachment
        }

        /// The fields, with the size now (the owner may have resized it).
        var current: HeldBufferInfo {
            var info = info
            info.size = file.currentSize
            return info
        }
    }

    private(set) var held: [Held] = []

    var names: [String] { held.map(\.info.name) }

    func buffer(named name: String) -> Held? {
        held.first { $0.info.name == name }
    }

    /// Root, or the uid that added the buffer.
    static func may(_ peerUID: uid_t, use h: Held) -> Bool {
        peerUID == 0 || peerUID == h.info.ownerUID
    }

    func visible(to peerUID: uid_t) -> [Held] {
        held.filter { Self.may(peerUID, use: $0) }
    }

    enum KeepRefusal: Error {
        case badName
        case duplicate
    }

    /// Whether `info.name` may be kept now.
    func check(_ name: String) throws(KeepRefusal) {
        guard KeeperProtocol.isValidName(name) else { throw .badName }
        guard buffer(named: name) == nil else { throw .duplicate }
    }

    /// Keeps `file` (and `attachment`, for a resource without an fd) under `info.name`.
    mutating func keep(_ file: AdoptedFile, info: HeldBufferInfo,
                       attachment: (any BufferAccess)? = nil) throws(KeepRefusal) -> Held {
        try check(info.name)
        let h = Held(info: info, file: file, attachment: attachment)
        held.append(h)
        return h
    }

    mutating func remove(_ h: Held) {
        held.removeAll { $0 === h }
    }

    /// Gives everything up (handed over): the fds close with the objects.
    mutating func removeAll() {
        held = []
    }
}
