import ArgumentParser
import RemoteFD
import RemoteFDCapture
import RemoteFDHandOff
import RemoteFDKeeper
import Glibc
import SystemPackage

/// `adopt watch PID` / `adopt watch --name COMM`: capture a process's
/// buffers when it exits or crashes (ptrace exit stop, no module).
struct WatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "When a process exits or crashes, take its buffers before the kernel closes them, and keep or hand them on.",
        discussion: """
            Traces the process with PTRACE_SEIZE + PTRACE_O_TRACEEXIT (no module needed):
            at its exit stop — exit(), a fatal signal, SIGKILL too — the fd table is still
            there; the buffers are adopted, then the process is let go and its parent sees
            its real exit status. Signals and job control pass through unchanged.
            A process that already has a tracer (TracerPid) is refused.
            --name waits for a process with that command name: through the netlink
            process-events connector (exec and comm changes, as they happen) when allowed
            (with CAP_NET_ADMIN), else by polling /proc every --poll-interval seconds, when a
            process living shorter than one interval can be missed.

              adopt watch 1234 --fd 3 --dump last.bin
              adopt watch 1234 --dump-dir /var/tmp/crash
              adopt watch 1234 --hold cam0 --socket /run/cam.sock
              adopt watch --name producer --fdname counter --exec -- restartable-producer
            """)

    @OptionGroup var acquire: AcquireOptions

    @Argument(help: "The process to watch.")
    var pid: Int32?

    @Option(name: .customLong("name"), help: "Watch the first process with this command name (/proc/PID/comm) instead of a PID, waiting for one to start.")
    var comm: String?

    @Option(name: .long, help: "With --name, without CAP_NET_ADMIN: seconds between scans of /proc.")
    var pollInterval: Double = 0.01

    @Option(name: .long, help: "With --name: give up after this many seconds.")
    var timeout: Double?

    @Option(name: .customLong("fd"), help: "Capture this fd (repeat). Default: every adoptable buffer.")
    var fds: [Int32] = []

    @Option(name: .long, help: "Write the captured buffer (exactly one) to FILE ('-' for standard output).")
    var dump: String?

    @Option(name: .long, help: "Write each captured buffer to DIR/PID-fdN.TYPE.")
    var dumpDir: String?

    @Option(name: .long, help: "Give the captured buffers to a running keeper under NAME (NAME.FD when several).")
    var hold: String?

    @OptionGroup var socket: KeeperSocketOption

    @Option(name: .long, help: "Hand the captured buffers to systemd's fd store under NAME (NAME.FD when several).")
    var toFdstore: String?

    @Flag(name: .long, help: "Exec the command after -- with the captured buffers as LISTEN_FDS.")
    var exec = false

    @Option(name: .long, help: "With --exec: the LISTEN_FDNAMES name (NAME.FD when several; default: the process's command name).")
    var fdname: String?

    @Argument(parsing: .postTerminator, help: "With --exec: the command.")
    var command: [String] = []

    func validate() throws {
        if (pid == nil) == (comm == nil) { throw ValidationError("give a PID or --name COMM") }
        if exec == command.isEmpty { throw ValidationError("--exec and a command after -- go together") }
        let actions = [dump != nil, dumpDir != nil, hold != nil, toFdstore != nil, exec].filter { $0 }.count
        if actions > 1 { throw ValidationError("choose one of --dump, --dump-dir, --hold, --to-fdstore, --exec") }
        if dump != nil && fds.count > 1 { throw ValidationError("--dump writes one buffer: give at most one --fd (or use --dump-dir)") }
        for name in [hold, toFdstore, fdname].compactMap({ $0 }) where !KeeperProtocol.isValidName(name) {
            throw ValidationError("bad name '\(name)' (\(KeeperProtocol.nameRule))")
        }
        guard pollInterval > 0 else { throw ValidationError("--poll-interval must be > 0") }
    }

    func run() throws {
        let json = acquire.json
        var watched: pid_t
        if let pid {
            watched = pid
        } else {
            let announce: (ProcessByName.Method) -> Void = { method in
                var fields = Description()
                fields.append("name", comm!)
                fields.append("method", method.rawValue)
                printEvent("waiting", fields, json: json)
            }
            guard let found = ProcessByName.wait(for: comm!, interval: pollInterval, timeout: timeout, method: announce) else {
                printError("adopt: watch --name \(comm!): no process with that name started within \(timeout ?? 0) s (ETIMEDOUT)")
                throw ExitCode(1)
            }
            watched = found
        }
        let processName = ProcessByName.comm(of: watched) ?? "process"

        let requested = fds.isEmpty ? nil : fds
        let result: (adopted: [Adoption], failures: [AdoptError])
        let outcome: String
        if let module = try moduleCapture(for: watched) {
            (result, outcome) = try captureWithModule(module, pid: watched, processName: processName, requested: requested, json: json)
        } else {
            (result, outcome) = try captureWithPtrace(pid: watched, processName: processName, requested: requested, json: json)
        }
        var exitFields = Description()
        exitFields.append("pid", Int(watched))
        exitFields.append("status", outcome)
        exitFields.append("captured", result.adopted.count)
        printEvent("exited", exitFields, json: json)
        for adoption in result.adopted {
            printEvent("captured", adoption.describe(), json: json)
        }
        for failure in result.failures {
            printError("adopt: \(failure)")
        }
        guard !result.adopted.isEmpty else {
            printError("adopt: pid \(watched): nothing captured (\(fds.isEmpty ? "it held no adoptable buffer" : "none of the fds could be adopted"))")
            throw ExitCode(1)
        }
        if dump != nil && result.adopted.count > 1 {
            printError("adopt: pid \(watched): --dump writes one buffer but \(result.adopted.count) were captured: use --fd or --dump-dir")
            throw ExitCode(1)
        }
        try handOn(result.adopted, pid: watched, processName: processName, json: json)
        if !result.failures.isEmpty { throw ExitCode(1) }
    }

    /// The module's capture when `--via kmod`, or `--via auto` and the loaded
    /// module can capture on exit; nil for the ptrace path.
    private func moduleCapture(for pid: pid_t) throws -> KmodExitCapture? {
        switch acquire.via {
        case .kmod:
            do {
                return try KmodExitCapture()
            } catch {
                var named = error
                named.pid = pid
                throw fail(named)
            }
        case .auto:
            // Backends.choose's policy: no module, no word; a module we
            // cannot use, one line.
            do {
                return try KmodExitCapture()
            } catch {
                if error.errno != .noSuchFileOrDirectory {
                    printError("adopt: \(error.detail): capturing with ptrace")
                }
                return nil
            }
        default:
            return nil
        }
    }

    private func watchingEvent(_ pid: pid_t, _ processName: String, how: String, json: Bool) {
        var fields = Description()
        fields.append("pid", Int(pid))
        fields.append("comm", processName)
        fields.append("fds", fds.isEmpty ? "every adoptable buffer" : fds.map(String.init).joined(separator: ","))
        fields.append("via", how)
        printEvent("watching", fields, json: json)
    }

    /// The module takes the files at exit; the process is not stopped and
    /// may have a tracer of its own.
    private func captureWithModule(_ module: KmodExitCapture, pid: pid_t, processName: String, requested: [Int32]?,
                                   json: Bool) throws -> ((adopted: [Adoption], failures: [AdoptError]), String) {
        do {
            let target = try TargetProcess(pid: pid)
            if let pidfd = target.pidfd {
                try module.arm(pidfd: pidfd, pid: pid, fds: requested)
            } else {
                try module.arm(pid: pid, fds: requested)
            }
        } catch {
            throw fail(error)
        }
        watchingEvent(pid, processName, how: "kmod (REMOTEFD_IOC_WATCH)", json: json)
        let collection = module.collectUntilExit(pid: pid, requested: requested, handlers: builtInHandlers)
        return ((collection.adopted, collection.failures), collection.outcome)
    }

    /// Attach, wait and detach on this (the main) thread: ptrace belongs to
    /// the thread that attached.
    private func captureWithPtrace(pid: pid_t, processName: String, requested: [Int32]?,
                                   json: Bool) throws -> ((adopted: [Adoption], failures: [AdoptError]), String) {
        let capture: ExitCapture
        do {
            capture = try ExitCapture(pid: pid)
        } catch {
            throw fail(error)
        }
        watchingEvent(pid, processName, how: "ptrace (PTRACE_O_TRACEEXIT)", json: json)
        let adopter = Adopter(handlers: builtInHandlers, backend: Backends.resolve(acquire.via))  // any note was printed for the capture
        do {
            let (result, exit) = try capture.waitForExit { target in
                ExitCapture.capture(from: target, fds: requested, adopter: adopter)
            }
            return (result, exit.text)
        } catch {
            throw fail(error)
        }
    }

    /// NAME for one buffer, NAME.FD for each of several.
    private func names(_ base: String, _ adopted: [Adoption]) -> [String] {
        adopted.count == 1 ? [base] : adopted.map { "\(base).\($0.file.fd)" }
    }

    private func handOn(_ adopted: [Adoption], pid: pid_t, processName: String, json: Bool) throws {
        if let dump {
            do {
                let adoption = adopted[0]
                try Dumper(access: try adoption.open(), adoption: adoption).dump(to: dump, offset: 0, length: nil)
            } catch {
                throw fail(error)
            }
        } else if let dumpDir {
            for adoption in adopted {
                let path = "\(dumpDir)/\(pid)-fd\(adoption.file.fd).\(adoption.type)"
                do {
                    try Dumper(access: try adoption.open(), adoption: adoption).dump(to: path, offset: 0, length: nil)
                } catch {
                    throw fail(error)
                }
            }
        } else if let hold {
            let client: KeeperClient
            do { client = try KeeperClient(socketPath: socket.path) } catch { throw fail(error) }
            for (adoption, name) in zip(adopted, names(hold, adopted)) {
                do {
                    try client.add(name, descriptor: adoption.file.descriptor, source: KeeperRequest.Source(pid: pid, fd: adoption.file.fd))
                } catch {
                    throw fail(error)
                }
                var fields = Description()
                fields.append("name", name)
                fields.append("fd", Int(adoption.file.fd))
                fields.append("socket", socket.path)
                printEvent("held", fields, json: json)
            }
        } else if let toFdstore {
            for (adoption, name) in zip(adopted, names(toFdstore, adopted)) {
                do {
                    try FdStore.store(adoption.file.descriptor, name: name)
                } catch {
                    throw fail(error, pid: pid, fd: adoption.file.fd)
                }
                var fields = Description()
                fields.append("name", name)
                fields.append("fd", Int(adoption.file.fd))
                printEvent("stored", fields, json: json)
            }
        } else if exec {
            let base = fdname ?? sanitized(processName)
            let entries = zip(adopted, names(base, adopted)).map { ListenFDs.Entry(name: $1, descriptor: $0.file.descriptor) }
            throw withExtendedLifetime(adopted) { execHandingOn(entries, command: command) }
        } else {
            var fields = Description()
            fields.append("buffers", adopted.count)
            printEvent("holding", fields, json: json)
            // Kept until interrupted; closing them (on exit) frees them.
            while true { pause() }
        }
    }

    private func sanitized(_ name: String) -> String {
        let mapped = String(name.map { c -> Character in
            KeeperProtocol.isValidName(String(c)) ? c : "_"
        })
        return mapped.isEmpty ? "buffer" : mapped
    }
}
