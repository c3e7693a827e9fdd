// SPDX-License-Identifier: Apache-2.0
import ArgumentParser
import Glibc
import RemoteFD
import RemoteFDCapture
import RemoteFDHandOff
import SystemPackage

/// `adopt watch PID` / `adopt watch --comm COMM`: capture a process's
/// buffers when it exits or crashes.
struct WatchCommand: ParsableCommand, Deprecating {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "When a process exits or crashes, take its buffers before the kernel closes them, and keep or hand them on.",
        discussion: """
            With the module (--via auto when /dev/remotefd can be opened, or --via kmod) the
            module takes the files at exit (REMOTEFD_IOC_WATCH); the process is not stopped.
            Otherwise it traces the process with PTRACE_SEIZE + PTRACE_O_TRACEEXIT: at its
            exit stop — exit(), a fatal signal, SIGKILL too — the fd table is still there;
            the buffers are adopted, then the process is let go and its parent sees its real
            exit status. Signals and job control pass through unchanged. A process that
            already has a tracer (TracerPid) is refused.
            --comm waits for a process with that command name: through the netlink
            process-events connector (exec and comm changes, as they happen) when allowed
            (with CAP_NET_ADMIN), else by polling /proc every --interval seconds, when a
            process living shorter than one interval can be missed.

              adopt watch 1234 --fd 3 --dump last.bin
              adopt watch 1234 --dump-dir /var/tmp/crash
              adopt watch 1234 --hold cam0 --socket /run/cam.sock
              adopt watch --comm producer --fdname counter --exec -- restartable-producer
              adopt watch 1234 --fd 3 --format XR24 --size 640x480 --image last.png
            """)

    @OptionGroup var acquire: AcquireOptions

    @Argument(help: "The process to watch.")
    var pid: Int32?

    @Option(name: .long, help: "Watch the first process with this command name (/proc/PID/comm) instead of a PID, waiting for one to start.")
    var comm: String?

    @Option(name: .long, help: "With --comm, without CAP_NET_ADMIN: seconds between scans of /proc (default 0.01).")
    var interval: Double?

    @Option(name: .long, help: "With --comm: give up after this many seconds.")
    var timeout: Double?

    @Option(name: .customLong("fd"), help: "Capture this fd (repeat). Default: every adoptable buffer.")
    var fds: [Int32] = []

    @Flag(name: .long, help: "Also capture the files behind the process's shared mappings (buffers it mapped and may have closed): the module's REMOTEFD_WATCH_MAPS, or /proc/PID/map_files at the ptrace exit stop.")
    var maps = false

    @Option(name: .long, help: "Write the captured buffer (exactly one) to FILE ('-' for standard output).")
    var dump: String?

    @Option(name: .long, help: "Write each captured buffer to DIR/PID-fdN.TYPE (a mapping's: DIR/PID-mapSTART.TYPE); a name already there is left untouched and NAME.1, NAME.2, ... used.")
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

    @Option(name: .customLong("name"), help: .hidden)
    var nameDeprecated: String?

    @Option(name: .customLong("poll-interval"), help: .hidden)
    var pollIntervalDeprecated: Double?

    @OptionGroup(title: "Frames (the captured buffer, exactly one: --image FILE or --view)") var frame: FrameOptions

    @Option(name: .long, help: "With --format: the frame's byte offset.")
    var offset: Int = 0

    @Argument(parsing: .postTerminator, help: "With --exec: the command.")
    var command: [String] = []

    var deprecations: [String] {
        (nameDeprecated != nil ? [deprecated("watch --name COMM", "--comm COMM")] : [])
            + (pollIntervalDeprecated != nil ? [deprecated("--poll-interval", "--interval")] : [])
    }

    private var processName: String? { comm ?? nameDeprecated }
    private var pollInterval: Double { interval ?? pollIntervalDeprecated ?? 0.01 }

    func validate() throws {
        if (pid == nil) == (processName == nil) { throw ValidationError("give a PID or --comm COMM") }
        let handOn = try handOn()
        if case .dump? = handOn, fds.count > 1 {
            throw ValidationError("--dump writes one buffer: give at most one --fd (or use --dump-dir)")
        }
        if let request = try frame.request() {
            if request.isAuto {
                throw ValidationError("--format auto asks the owner's video device, and a watched process has exited: give --format and --size")
            }
            if request.image == nil && !request.view { throw ValidationError("--format with watch: say --image FILE or --view") }
            if fds.count > 1 { throw ValidationError("--format takes one buffer: give at most one --fd") }
            if request.view && acquire.json { throw ValidationError("--view draws the frame: not with --json") }
            guard offset >= 0 else { throw ValidationError("--offset must be >= 0") }
        }
        guard pollInterval > 0 else { throw ValidationError("--interval must be > 0") }
    }

    func handOn() throws -> HandOn? {
        try HandOn.from(dump: dump, dumpDir: dumpDir, hold: hold, toFdstore: toFdstore,
                        exec: exec, fdname: fdname, command: command, frame: frame.request(), offset: offset)
    }

    func run() throws {
        let json = acquire.json
        let handOn = try handOn()
        var watched: pid_t
        if let pid {
            watched = pid
        } else {
            let wanted = processName!
            let announce: (ProcessByName.Method) -> Void = { method in
                var fields = Description()
                fields.append("name", wanted)
                fields.append("method", method.rawValue)
                printEvent("waiting", fields, json: json)
            }
            guard let found = ProcessByName.wait(for: wanted, interval: pollInterval, timeout: timeout, method: announce) else {
                let option = comm != nil ? "--comm" : "--name"
                printError("adopt: watch \(option) \(wanted): no process with that name started within \(timeout ?? 0) s (ETIMEDOUT)")
                throw ExitCode(1)
            }
            watched = found
        }
        let comm = ProcessByName.comm(of: watched) ?? "process"
        let directory = try handOn?.dumpDirectory(pid: watched)

        let capture = ExitCapture(pid: watched, handlers: builtInHandlers, backend: acquire.via,
                                  selection: ExitCapture.Selection(fds: fds.isEmpty ? nil : fds, maps: maps),
                                  logger: Verbose.logger)
        let result = try capture.run { progress in
            switch progress {
            case .note(let note): printError("adopt: \(note)")
            case .armed(let method): watchingEvent(watched, comm, how: method.description, json: json)
            }
        }
        var exitFields = Description()
        exitFields.append("pid", Int(watched))
        exitFields.append("status", result.termination.description)
        exitFields.append("captured", result.buffers.count)
        printEvent("exited", exitFields, json: json)
        for adoption in result.buffers {
            printEvent("captured", adoption.describe(), json: json)
        }
        for failure in result.failures {
            printError("adopt: \(failure)")
        }
        guard !result.buffers.isEmpty else {
            printError("adopt: pid \(watched): nothing captured (\(fds.isEmpty ? "it held no adoptable buffer" : "none of the fds could be adopted"))")
            throw ExitCode(1)
        }
        guard let handOn else {
            var fields = Description()
            fields.append("buffers", result.buffers.count)
            printEvent("holding", fields, json: json)
            // Kept until interrupted; closing them (on exit) frees them.
            while true { pause() }
        }
        if case .dump = handOn, result.buffers.count > 1 {
            printError("adopt: pid \(watched): --dump writes one buffer but \(result.buffers.count) were captured: use --fd or --dump-dir")
            throw ExitCode(1)
        }
        if case .frame = handOn, result.buffers.count > 1 {
            printError("adopt: pid \(watched): --format takes one buffer but \(result.buffers.count) were captured: use --fd")
            throw ExitCode(1)
        }
        try handOn.perform(result.buffers, pid: watched, defaultName: FdName.sanitized(comm), socket: socket.path,
                           directory: directory, announce: { printEvent($0, $1, json: json) })
        if !result.failures.isEmpty { throw ExitCode(1) }
    }

    private func watchingEvent(_ pid: pid_t, _ comm: String, how: String, json: Bool) {
        var fields = Description()
        fields.append("pid", Int(pid))
        fields.append("comm", comm)
        fields.append("fds", fds.isEmpty ? "every adoptable buffer" : fds.map(String.init).joined(separator: ","))
        if maps { fields.append("maps", "the files behind its shared mappings") }
        fields.append("via", how)
        printEvent("watching", fields, json: json)
    }
}
