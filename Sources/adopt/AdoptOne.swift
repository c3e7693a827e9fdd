import ArgumentParser
import Glibc
import RemoteFD

/// `adopt [options] PID FD`: the main job.
struct AdoptOne: ParsableCommand, Deprecating {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Adopt fd FD of process PID: identify, validate, map, preview (the default subcommand).",
        aliases: ["adopt-fd"])

    @OptionGroup var acquire: AcquireOptions

    @Option(name: .long, help: "Refuse anything but this type: auto, or a handler's type (memfd, shm, dmabuf).")
    var type: String = "auto"

    @Option(name: .long, help: "Preview (or dump) from this byte offset.")
    var offset: Int = 0

    @Option(name: .long, help: "Preview this many bytes (dump: copy at most this many).")
    var length: Int?

    @Flag(name: .long, help: "Map read-write (only if the fd allows it and no seal forbids it).")
    var writable = false

    @Flag(name: .long, help: "Add F_SEAL_SHRINK first, so the owner cannot truncate under the mapping.")
    var seal = false

    @Flag(name: .long, help: "Wait for pending device writes before reading (dma-buf).")
    var wait = false

    @Flag(name: .long, help: "Keep the buffer and print it periodically, also after the owner exits.")
    var follow = false

    @Option(name: .long, help: "With --follow: seconds between prints (default 1).")
    var interval: Double?

    @Option(name: .long, help: "With --follow: stop after this many prints (default: until interrupted).")
    var count: Int?

    @Option(name: .long, help: "Copy the contents to FILE ('-' for standard output); the owner's file offset never moves.")
    var dump: String?

    @Flag(name: .customLong("watch"), help: .hidden)
    var watchDeprecated = false

    @Option(name: .customLong("every"), help: .hidden)
    var everyDeprecated: Double?

    @Argument(help: "The owner's process id.")
    var pid: Int32

    @Argument(help: "The fd number in the owner.")
    var fd: Int32

    var deprecations: [String] {
        (watchDeprecated ? [deprecated("--watch", "--follow")] : [])
            + (everyDeprecated != nil ? [deprecated("--every", "--interval")] : [])
    }

    func validate() throws {
        guard offset >= 0 else { throw ValidationError("--offset must be >= 0") }
        if let length, length < 0 { throw ValidationError("--length must be >= 0") }
        guard job.interval > 0 else { throw ValidationError("--interval must be > 0") }
    }

    /// What the options mean, as the fast path builds it too.
    var job: AdoptJob {
        AdoptJob(via: acquire.via, json: acquire.json, type: type, offset: offset, length: length,
                 writable: writable, seal: seal, wait: wait, follow: follow || watchDeprecated,
                 interval: interval ?? everyDeprecated ?? 1, count: count, dump: dump, pid: pid, fd: fd)
    }

    func run() throws {
        try job.run()
    }
}

/// What `adopt [options] PID FD` does once its arguments are known: the
/// parsed command and the start-up fast path (FastPath.swift) both run it.
struct AdoptJob: Equatable {
    var via: BackendChoice = .auto
    var json = false
    var type = "auto"
    var offset = 0
    var length: Int?
    var writable = false
    var seal = false
    var wait = false
    var follow = false
    var interval: Double = 1
    var count: Int?
    var dump: String?
    var pid: Int32
    var fd: Int32

    func run() throws {
        let adopter = Adopter(handlers: builtInHandlers, backend: chosenBackend(via))
        let target = try TargetProcess(pid: pid, forFD: fd)
        let adoption = try adopter.adopt(fd: fd, of: target, type: type == "auto" ? nil : type)
        let access = try adoption.open(AccessOptions(writable: writable, sealShrink: seal, waitForDevice: wait))
        if let dump {
            try HandOn.dump(dump).perform([adoption], pid: pid, defaultName: "", socket: "",
                                          range: (offset, length), open: { _ in access })
        } else if follow {
            Watcher(access: access, adoption: adoption, target: target, offset: offset,
                    length: length ?? 64, json: json)
                .run(every: interval, count: count)
        } else {
            var description = adoption.describe()
            description.append("map", access.notes.joined(separator: "; "))
            try printPreview(description, access, offset: offset, length: length ?? 256, json: json)
        }
    }
}
