// SPDX-License-Identifier: Apache-2.0
import Glibc

/// One request of the keeper's protocol (see `KeeperProtocol`), typed:
/// the server parses lines into it, the client formats it into lines, and
/// both sides share this one definition of the verbs and their words.
public enum KeeperRequest: Equatable, Sendable {
    /// Where a buffer was adopted from.
    public struct Source: Equatable, Sendable {
        public var pid: pid_t
        public var fd: Int32

        public init(pid: pid_t, fd: Int32) {
            self.pid = pid
            self.fd = fd
        }
    }

    /// `list` → buffer lines, "ok COUNT".
    case list
    /// `get NAME` → "ok" and the buffer's fields, one fd attached.
    case get(name: String)
    /// `release NAME` → "ok".
    case release(name: String)
    /// `add NAME [PID FD]`, one fd attached → "ok" and the buffer's fields.
    case add(name: String, source: Source?)
    /// `import NAME UID PID FD`, one fd attached: a keeper handing over
    /// (root or the keeper's uid only).
    case importBuffer(name: String, owner: uid_t, source: Source)
    /// `take NAME TYPE ID [UID]`, no fd: the keeper takes the resource
    /// with id ID itself, through the handler of TYPE (a System V segment
    /// by shmid, which has no fd to pass), if the peer may; UID (the owner
    /// to record) is honoured from root or the keeper's uid only (handover).
    case take(name: String, type: String, id: Int32, owner: uid_t?)
    /// `listener PATH`, a listening socket attached: serve it too (root or
    /// the keeper's uid only).
    case listener(path: String)
    /// `handover PATH`: give everything to the keeper at PATH, then exit
    /// (root or the keeper's uid only).
    case handover(path: String)

    /// Why a line is not a request: the errno and message of the `err` reply.
    public struct ParseError: Error, Equatable, Sendable {
        public var message: String

        public init(message: String) { self.message = message }
    }

    public static let usage = "list, get NAME, release NAME, add NAME [PID FD], take NAME TYPE ID, handover PATH"

    /// Parses one request line (without its "\n"); words are separated by
    /// single spaces.
    public init(line: some StringProtocol) throws(ParseError) {
        let words = String(line).split(separator: " ").map(String.init)
        guard let verb = words.first else { throw ParseError(message: "empty request") }
        let bad = ParseError(message: "bad numbers in '\(line)'")
        switch (verb, words.count) {
        case ("list", 1):
            self = .list
        case ("get", 2):
            self = .get(name: words[1])
        case ("release", 2):
            self = .release(name: words[1])
        case ("add", 2):
            self = .add(name: words[1], source: nil)
        case ("add", 4):
            guard let pid = pid_t(words[2]), let fd = Int32(words[3]) else { throw bad }
            // "-1 -1": where it came from is not known.
            self = .add(name: words[1], source: pid == -1 && fd == -1 ? nil : Source(pid: pid, fd: fd))
        case ("import", 5):
            guard let owner = uid_t(words[2]), let pid = pid_t(words[3]), let fd = Int32(words[4]) else { throw bad }
            self = .importBuffer(name: words[1], owner: owner, source: Source(pid: pid, fd: fd))
        case ("take", 4), ("take", 5):
            guard let id = Int32(words[3]) else { throw bad }
            var owner: uid_t?
            if words.count == 5 {
                guard let uid = uid_t(words[4]) else { throw bad }
                owner = uid
            }
            self = .take(name: words[1], type: words[2], id: id, owner: owner)
        case ("listener", 2):
            self = .listener(path: words[1])
        case ("handover", 2):
            self = .handover(path: words[1])
        default:
            throw ParseError(message: "unknown request '\(line.prefix(80))' (\(Self.usage))")
        }
    }

    /// The request line, without its "\n".
    public var line: String {
        switch self {
        case .list: return "list"
        case .get(let name): return "get \(name)"
        case .release(let name): return "release \(name)"
        case .add(let name, let source):
            return "add \(name) \(source?.pid ?? -1) \(source?.fd ?? -1)"
        case .importBuffer(let name, let owner, let source):
            return "import \(name) \(owner) \(source.pid) \(source.fd)"
        case .take(let name, let type, let id, let owner):
            return "take \(name) \(type) \(id)" + (owner.map { " \($0)" } ?? "")
        case .listener(let path): return "listener \(path)"
        case .handover(let path): return "handover \(path)"
        }
    }

    public var verb: String {
        switch self {
        case .list: return "list"
        case .get: return "get"
        case .release: return "release"
        case .add: return "add"
        case .importBuffer: return "import"
        case .take: return "take"
        case .listener: return "listener"
        case .handover: return "handover"
        }
    }

    /// How messages name the request: the verb and its first word.
    public var label: String {
        line.split(separator: " ").prefix(2).joined(separator: " ")
    }

    /// How many fds travel with the request line.
    public var attachedFDs: Int {
        switch self {
        case .add, .importBuffer, .listener: return 1
        default: return 0
        }
    }
}

/// The status line that ends a reply: `ok [WORDS]` or `err ERRNAME MESSAGE`.
public enum KeeperStatus: Equatable, Sendable {
    case ok(String)
    case err(errnoName: String, message: String)

    public init?(line: some StringProtocol) {
        if line == "ok" {
            self = .ok("")
        } else if line.hasPrefix("ok ") {
            self = .ok(String(line.dropFirst(3)))
        } else if line.hasPrefix("err ") {
            let words = line.dropFirst(4)
            let name = words.prefix { $0 != " " }
            self = .err(errnoName: String(name), message: String(words.dropFirst(name.count).drop { $0 == " " }))
        } else {
            return nil
        }
    }

    public var line: String {
        switch self {
        case .ok(let words): return words.isEmpty ? "ok" : "ok \(words)"
        case .err(let name, let message): return "err \(name) \(message)"
        }
    }
}
