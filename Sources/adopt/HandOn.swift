// SPDX-License-Identifier: Apache-2.0
import ArgumentParser
import Glibc
import RemoteFD
import RemoteFDHandOff
import RemoteFDKeeper
import SystemPackage

/// "PID:FD", or "PID:mapADDR" for the file behind the mapping at ADDR (hex
/// with 0x, or decimal).
struct PidFd: ExpressibleByArgument, CustomStringConvertible, Equatable {
    let pid: pid_t
    /// `.fd(N)` or `.mapping(ADDR)`.
    let origin: BufferOrigin

    init(pid: pid_t, origin: BufferOrigin) {
        self.pid = pid
        self.origin = origin
    }

    init?(argument: String) {
        let parts = argument.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let pid = pid_t(parts[0]) else { return nil }
        self.pid = pid
        if parts[1].hasPrefix("map") {
            guard let address = MappingSelector.parseAddress(String(parts[1].dropFirst(3))) else { return nil }
            origin = .mapping(address)
        } else {
            guard let fd = Int32(parts[1]) else { return nil }
            origin = .fd(fd)
        }
    }

    var description: String {
        switch origin {
        case .mapping(let address): return "\(pid):map0x" + String(address, radix: 16)
        default: return "\(pid):\(origin.tag.dropFirst(2))"
        }
    }
}

extension Adopter {
    /// The buffer `source` names: an fd, or the file behind a mapping
    /// (through a backend that takes mappings, as `adopt PID --map`).
    func adopt(_ source: PidFd, via: BackendChoice) throws(AdoptError) -> Adoption {
        switch source.origin {
        case .mapping(let address):
            let adopter = Adopter(handlers: handlers, backend: chosenBackend(via, forMappings: true))
            return try adopter.adopt(mapping: .address(address), of: TargetProcess(pid: source.pid))
        case .fd(let fd):
            return try adopt(pid: source.pid, fd: fd)
        case .ipc, .received:
            preconditionFailure("PID:FD names an fd or a mapping")
        }
    }
}

/// "NAME=PID:FD" (or NAME=PID:mapADDR): how every command names a buffer it takes.
struct NamedPidFd: ExpressibleByArgument, Equatable {
    let name: String
    let source: PidFd

    init(name: String, source: PidFd) {
        self.name = name
        self.source = source
    }

    init?(argument: String) {
        guard let eq = argument.firstIndex(of: "="), let source = PidFd(argument: String(argument[argument.index(after: eq)...])) else {
            return nil
        }
        name = String(argument[..<eq])
        self.source = source
    }
}

/// The keeper's socket: --socket, else $ADOPT_KEEPER_SOCKET, else
/// $XDG_RUNTIME_DIR/adopt-keeper.sock, else /run/adopt-keeper.sock.
struct KeeperSocketOption: ParsableArguments {
    @Option(name: .long, help: "The keeper's socket (default: $ADOPT_KEEPER_SOCKET, else $XDG_RUNTIME_DIR/adopt-keeper.sock, else /run/adopt-keeper.sock).")
    var socket: String?

    var path: String {
        if let socket { return socket }
        if let env = getenv("ADOPT_KEEPER_SOCKET"), env.pointee != 0 { return String(cString: env) }
        if let dir = getenv("XDG_RUNTIME_DIR"), dir.pointee != 0 { return String(cString: dir) + "/adopt-keeper.sock" }
        return "/run/adopt-keeper.sock"
    }
}

/// What to do with buffers once taken: one type for `adopt --dump`, `keeper
/// get` (dump, fd store, exec) and `watch` (all of them), validated once.
enum HandOn: Equatable {
    /// --dump FILE|-: copy one buffer out.
    case dump(String)
    /// --dump-dir DIR: DIR/PID-fdN.TYPE for each, never over an existing name.
    case dumpDir(String)
    /// --hold NAME: give them to a running keeper.
    case hold(name: String)
    /// --to-fdstore NAME: give them to systemd's fd store.
    case fdstore(name: String)
    /// --exec [--fdname NAME] -- CMD: exec CMD with them as LISTEN_FDS.
    case exec(name: String?, command: [String])
    /// --format … --image FILE | --view: one buffer as a frame, written as
    /// PNG or drawn (`watch`: the format is given, there is no owner left
    /// to ask); `offset` is the frame's.
    case frame(FrameRequest, offset: Int)

    /// The hand-on the options ask for (nil: none), from the options a
    /// command has (those it lacks stay nil/false).
    static func from(dump: String? = nil, dumpDir: String? = nil, hold: String? = nil, toFdstore: String? = nil,
                     exec: Bool = false, fdname: String? = nil, command: [String] = [],
                     frame: FrameRequest? = nil, offset: Int = 0) throws -> HandOn? {
        if exec == command.isEmpty { throw ValidationError("--exec and a command after -- go together") }
        let chosen = [dump != nil, dumpDir != nil, hold != nil, toFdstore != nil, exec, frame != nil].filter { $0 }.count
        if chosen > 1 {
            throw ValidationError("choose one of --dump, --dump-dir, --hold, --to-fdstore, --exec" + (frame != nil ? ", --format" : ""))
        }
        for name in [hold, toFdstore, fdname].compactMap({ $0 }) where !FdName.isValid(name) {
            throw ValidationError("bad name '\(name)' (\(FdName.rule))")
        }
        if let dump { return .dump(dump) }
        if let dumpDir { return .dumpDir(dumpDir) }
        if let hold { return .hold(name: hold) }
        if let toFdstore { return .fdstore(name: toFdstore) }
        if exec { return .exec(name: fdname, command: command) }
        if let frame { return .frame(frame, offset: offset) }
        return nil
    }

    /// --dump-dir's directory, to open before anything is captured: a bad
    /// DIR is said at once, not once the buffers are taken (nil: no --dump-dir).
    func dumpDirectory(pid: pid_t?) throws(AdoptError) -> DumpDirectory? {
        guard case .dumpDir(let dir) = self else { return nil }
        return try DumpDirectory(dir, pid: pid)
    }

    /// Hands `adopted` (taken from process `pid`) on. Names: the one given,
    /// else `defaultName`; NAME.FD each when there are several. `announce`
    /// is told of each buffer held or stored. `directory`: --dump-dir's, if
    /// opened already. Does not return after exec.
    func perform(_ adopted: [Adoption], pid: pid_t?, defaultName: String, socket: String,
                 range: (offset: Int, length: Int?) = (0, nil),
                 directory: DumpDirectory? = nil,
                 open: (Adoption) throws -> any BufferAccess = { try $0.open() },
                 announce: (_ event: String, _ fields: Description) -> Void = { _, _ in }) throws {
        func names(_ base: String) -> [String] {
            adopted.count == 1 ? [base] : adopted.map { "\(base).\($0.file.fd.map(String.init) ?? $0.file.origin.tag)" }
        }
        switch self {
        case .dump(let path):
            let adoption = adopted[0]
            try Dumper(access: try open(adoption), adoption: adoption).dump(to: path, offset: range.offset, length: range.length)
        case .dumpDir(let dir):
            let directory = try directory ?? DumpDirectory(dir, pid: pid)
            // One buffer that cannot be written does not cost the others.
            var failed = false
            for adoption in adopted {
                do {
                    let access = try open(adoption)
                    let prefix = adoption.file.pid.map { "\($0)-" } ?? ""
                    let out = try directory.create("\(prefix)\(adoption.file.origin.tag).\(adoption.type)", for: adoption.file)
                    defer { close(out.fd) }
                    try Dumper(access: access, adoption: adoption).dump(into: out.fd, named: out.path, offset: 0, length: nil)
                } catch {
                    printError("adopt: \(error)")
                    failed = true
                }
            }
            if failed { throw ExitCode(1) }
        case .hold(let name):
            let client = try KeeperClient(socketPath: socket)
            for (adoption, name) in zip(adopted, names(name)) {
                try client.hold(adoption, name: name)
                var fields = Description()
                fields.append("name", name)
                fields.append(adoption.file.originKey, adoption.file.originValue)
                fields.append("socket", socket)
                announce("held", fields)
            }
        case .fdstore(let name):
            try Self.requireFDs(adopted, for: "--to-fdstore")
            for (adoption, name) in zip(adopted, names(name)) {
                try storeInFdStore(adoption.file, name: name)
                var fields = Description()
                fields.append("name", name)
                fields.append(adoption.file.originKey, adoption.file.originValue)
                announce("stored", fields)
            }
        case .frame(let request, let offset):
            let adoption = adopted[0]
            let access = try open(adoption)
            let spec = try request.resolve(adoption, access: access, offset: offset, owner: nil, via: .auto)
            let output = FrameOutput(adoption: adoption, access: access, spec: spec, request: request)
            if let image = request.image { try output.writeImage(to: image) } else { try output.view() }
        case .exec(let name, let command):
            try Self.requireFDs(adopted, for: "--exec")
            let entries = zip(adopted, names(name ?? defaultName)).map {
                ListenFDs.Entry(name: $1, descriptor: $0.file.descriptor)
            }
            throw withExtendedLifetime(adopted) { execHandingOn(entries, command: command) }
        }
    }
}

extension HandOn {
    /// exec and the fd store take fds: a resource held without one (a
    /// System V segment attached by id) is refused, naming its id, which
    /// the next program can attach itself.
    static func requireFDs(_ adopted: [Adoption], for option: String) throws {
        for adoption in adopted where !adoption.file.hasDescriptor {
            throw AdoptError(adoption.file, reason: .other, errno: .badFileDescriptor,
                             "\(option) passes fds, and this \(adoption.type) is held without one (attached by id): give the next program its \(adoption.file.origin) instead")
        }
    }
}

/// FdStore.store, its error naming the buffer.
func storeInFdStore(_ file: AdoptedFile, name: String) throws {
    do {
        try FdStore.store(file.descriptor, name: name)
    } catch {
        throw AboutBuffer(source: file.source, error: error)
    }
}

/// One line per event: "event key=value …" or a JSON object.
func printEvent(_ event: String, _ fields: Description, json: Bool) {
    if json {
        var d = Description()
        d.append("event", event)
        for field in fields.fields { d.append(field.key, field.value) }
        print(d.json)
    } else {
        print(([event] + fields.fields.map { "\($0.key)=\($0.value.text)" }).joined(separator: " "))
    }
    fflush(nil)
}

/// Execs `command` with `entries` as LISTEN_FDS; prints why if it cannot.
func execHandingOn(_ entries: [ListenFDs.Entry], command: [String]) -> ExitCode {
    fflush(nil)
    let failure = ListenFDs.exec(entries, command: command)
    printError("adopt: exec: \(failure.step) failed (\(failure.errno.symbolicName))")
    return ExitCode(127)
}

extension AdoptedFile {
    /// An event field naming the origin: fd=N, map=0xADDR, shmid=N.
    var originKey: String {
        switch origin {
        case .fd: return "fd"
        case .mapping: return "map"
        case .ipc(let kind, _): return kind
        case .received: return "from"
        }
    }

    var originValue: Description.Value {
        switch origin {
        case .fd(let fd): return .int(Int64(fd))
        case .mapping(let address): return .string("0x" + String(address, radix: 16))
        case .ipc(_, let id): return .int(Int64(id))
        case .received(let name): return .string(name)
        }
    }

    /// An error about this file: "pid P fd N: …", "pid P map 0xA: …", "shmid N: …".
    func error(_ errno: Errno, _ message: String) -> AdoptError {
        AdoptError(self, reason: .other, errno: errno, message)
    }
}
