import ArgumentParser
import Glibc
import RemoteFD
import RemoteFDHandOff
import RemoteFDKeeper
import SystemPackage

/// "PID:FD", or "PID:mapADDR" for the file behind the mapping at ADDR (hex
/// with 0x, or decimal; `fd` is then -1).
struct PidFd: ExpressibleByArgument, CustomStringConvertible, Equatable {
    let pid: pid_t
    let fd: Int32
    let map: UInt64?

    init?(argument: String) {
        let parts = argument.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let pid = pid_t(parts[0]) else { return nil }
        self.pid = pid
        if parts[1].hasPrefix("map") {
            guard let address = MappingSelector.parseAddress(String(parts[1].dropFirst(3))) else { return nil }
            fd = -1
            map = address
        } else {
            guard let fd = Int32(parts[1]) else { return nil }
            self.fd = fd
            map = nil
        }
    }

    var description: String { map.map { "\(pid):map0x\(String($0, radix: 16))" } ?? "\(pid):\(fd)" }
}

extension Adopter {
    /// The buffer `source` names: an fd, or the file behind a mapping
    /// (through the module or map_files, as `adopt PID --map`; `via` pidfd refused).
    func adopt(_ source: PidFd, via: BackendChoice) throws(AdoptError) -> Adoption {
        guard let map = source.map else { return try adopt(pid: source.pid, fd: source.fd) }
        return try adopt(mapping: .address(map), of: TargetProcess(pid: source.pid), via: via)
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

    /// The hand-on the options ask for (nil: none), from the options a
    /// command has (those it lacks stay nil/false).
    static func from(dump: String? = nil, dumpDir: String? = nil, hold: String? = nil, toFdstore: String? = nil,
                     exec: Bool = false, fdname: String? = nil, command: [String] = []) throws -> HandOn? {
        if exec == command.isEmpty { throw ValidationError("--exec and a command after -- go together") }
        let chosen = [dump != nil, dumpDir != nil, hold != nil, toFdstore != nil, exec].filter { $0 }.count
        if chosen > 1 { throw ValidationError("choose one of --dump, --dump-dir, --hold, --to-fdstore, --exec") }
        for name in [hold, toFdstore, fdname].compactMap({ $0 }) where !FdName.isValid(name) {
            throw ValidationError("bad name '\(name)' (\(FdName.rule))")
        }
        if let dump { return .dump(dump) }
        if let dumpDir { return .dumpDir(dumpDir) }
        if let hold { return .hold(name: hold) }
        if let toFdstore { return .fdstore(name: toFdstore) }
        if exec { return .exec(name: fdname, command: command) }
        return nil
    }

    /// --dump-dir's directory, to open before anything is captured: a bad
    /// DIR is said at once, not once the buffers are taken (nil: no --dump-dir).
    func dumpDirectory(pid: pid_t) throws(AdoptError) -> DumpDirectory? {
        guard case .dumpDir(let dir) = self else { return nil }
        return try DumpDirectory(dir, pid: pid)
    }

    /// Hands `adopted` (taken from process `pid`) on. Names: the one given,
    /// else `defaultName`; NAME.FD each when there are several. `announce`
    /// is told of each buffer held or stored. `directory`: --dump-dir's, if
    /// opened already. Does not return after exec.
    func perform(_ adopted: [Adoption], pid: pid_t, defaultName: String, socket: String,
                 range: (offset: Int, length: Int?) = (0, nil),
                 directory: DumpDirectory? = nil,
                 open: (Adoption) throws -> any BufferAccess = { try $0.open() },
                 announce: (_ event: String, _ fields: Description) -> Void = { _, _ in }) throws {
        func names(_ base: String) -> [String] {
            adopted.count == 1 ? [base] : adopted.map { "\(base).\($0.file.mapping == nil ? String($0.file.fd) : $0.file.handOnTag)" }
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
                    let out = try directory.create("\(pid)-\(adoption.file.handOnTag).\(adoption.type)", for: adoption.file)
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
                try client.add(name, descriptor: adoption.file.descriptor,
                               source: KeeperRequest.Source(pid: pid, fd: adoption.file.fd))
                var fields = Description()
                fields.append("name", name)
                fields.append("fd", Int(adoption.file.fd))
                fields.append("socket", socket)
                announce("held", fields)
            }
        case .fdstore(let name):
            for (adoption, name) in zip(adopted, names(name)) {
                try storeInFdStore(adoption.file.descriptor, name: name, pid: pid, fd: adoption.file.fd)
                var fields = Description()
                fields.append("name", name)
                fields.append("fd", Int(adoption.file.fd))
                announce("stored", fields)
            }
        case .exec(let name, let command):
            let entries = zip(adopted, names(name ?? defaultName)).map {
                ListenFDs.Entry(name: $1, descriptor: $0.file.descriptor)
            }
            throw withExtendedLifetime(adopted) { execHandingOn(entries, command: command) }
        }
    }
}

/// FdStore.store, its error naming the buffer (pid `pid` fd `fd`).
func storeInFdStore(_ descriptor: FileDescriptor, name: String, pid: pid_t, fd: Int32) throws {
    do {
        try FdStore.store(descriptor, name: name)
    } catch {
        throw AboutBuffer(pid: pid, fd: fd, error: error)
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
    fflush(stdout)
}

/// Execs `command` with `entries` as LISTEN_FDS; prints why if it cannot.
func execHandingOn(_ entries: [ListenFDs.Entry], command: [String]) -> ExitCode {
    fflush(stdout)
    let failure = ListenFDs.exec(entries, command: command)
    printError("adopt: exec: \(failure.step) failed (\(failure.errno.symbolicName))")
    return ExitCode(127)
}

extension AdoptedFile {
    /// "fd5", or "map7f12a000" for the file behind a mapping (dump-dir names).
    /// "fd 5", or "map 0x7f12a000" (message prefixes).
    var label: String { mapping.map { "map 0x" + String($0.start, radix: 16) } ?? "fd \(fd)" }
    var handOnTag: String { mapping.map { "map" + String($0.start, radix: 16) } ?? "fd\(fd)" }

    /// An error about this file: "pid P fd N: …", or "pid P map 0xA: …".
    func error(_ errno: Errno, _ message: String) -> AdoptError {
        AdoptError(pid: pid, fd: mapping == nil ? fd : nil, reason: .other, errno: errno, message,
                   address: mapping?.start)
    }
}
