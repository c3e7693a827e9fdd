import ArgumentParser
import RemoteFD
import RemoteFDHandOff
import RemoteFDKeeper
import Glibc
import SystemPackage

/// "PID:FD" as the keep/hand-on commands take it.
struct PidFd: ExpressibleByArgument, CustomStringConvertible {
    let pid: pid_t
    let fd: Int32

    init?(argument: String) {
        let parts = argument.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let pid = pid_t(parts[0]), let fd = Int32(parts[1]) else { return nil }
        self.pid = pid
        self.fd = fd
    }

    var description: String { "\(pid):\(fd)" }
}

/// "NAME=PID:FD".
struct NamedPidFd: ExpressibleByArgument {
    let name: String
    let source: PidFd

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

/// Prints a keeper failure as one line and exits 1.
func fail(_ error: KeeperError) -> ExitCode {
    printError("adopt: \(error)")
    return ExitCode(1)
}

func fail(_ error: FdStoreError, pid: pid_t, fd: Int32) -> ExitCode {
    printError("adopt: pid \(pid) fd \(fd): \(error)")
    return ExitCode(1)
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
