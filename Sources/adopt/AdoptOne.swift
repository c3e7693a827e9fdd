// SPDX-License-Identifier: Apache-2.0
import ArgumentParser
import Glibc
import RemoteFD
import RemoteFDKeeper

/// `adopt [options] PID FD`: the main job.
struct AdoptOne: ParsableCommand, Deprecating {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Adopt fd FD of process PID: identify, validate, map, preview (the default subcommand).",
        aliases: ["adopt-fd"])

    @OptionGroup var acquire: AcquireOptions

    @Option(name: .long, help: "Refuse anything but this type: auto, or a handler's type (memfd, shm, dmabuf).")
    var type: String = "auto"

    @Option(name: .long, help: "Preview (or dump) from this byte offset; with --format, the frame's.")
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

    @OptionGroup(title: "Frames") var frame: FrameOptions

    @Flag(name: .customLong("watch"), help: .hidden)
    var watchDeprecated = false

    @Option(name: .customLong("every"), help: .hidden)
    var everyDeprecated: Double?

    @Argument(help: "The owner's process id.")
    var pid: Int32

    @Option(name: .long, help: ArgumentHelp("Adopt the file behind the mapping containing ADDR (hex with 0x, or decimal) instead of an fd.", valueName: "ADDR"))
    var map: String?

    @Option(name: .long, help: ArgumentHelp("Adopt the file behind the Nth buffer mapping (memfd, shm, dma-buf) as `adopt list` shows them.", valueName: "N"))
    var mapIndex: Int?

    @Argument(help: "The fd number in the owner (not with --map or --map-index).")
    var fd: Int32?

    var deprecations: [String] {
        (watchDeprecated ? [deprecated("--watch", "--follow")] : [])
            + (everyDeprecated != nil ? [deprecated("--every", "--interval")] : [])
    }

    func validate() throws {
        guard offset >= 0 else { throw ValidationError("--offset must be >= 0") }
        if let length, length < 0 { throw ValidationError("--length must be >= 0") }
        guard (interval ?? everyDeprecated ?? 1) > 0 else { throw ValidationError("--interval must be > 0") }
        let selectors = (fd != nil ? 1 : 0) + (map != nil ? 1 : 0) + (mapIndex != nil ? 1 : 0)
        guard selectors == 1 else { throw ValidationError("give an fd number, or --map ADDR, or --map-index N (one of them)") }
        if let map, MappingSelector.parseAddress(map) == nil {
            throw ValidationError("--map: '\(map)' is not an address (hex with 0x, or decimal)")
        }
        if let mapIndex, mapIndex < 0 { throw ValidationError("--map-index must be >= 0") }
        try Self.validate(frame: frame.request(), dump: dump, json: acquire.json, follow: follow || watchDeprecated)
    }

    /// The frame options against the others (AdoptOne, adopt sysv).
    static func validate(frame: FrameRequest?, dump: String?, json: Bool, follow: Bool, hold: Bool = false) throws {
        guard let frame else { return }
        if frame.image != nil && (dump != nil || hold) { throw ValidationError("choose one of --dump, --image and --hold") }
        if frame.view && json { throw ValidationError("--view draws the frame: not with --json") }
        if frame.image == "-" && follow { throw ValidationError("--follow --image numbers its files: give a file name, not '-'") }
    }

    /// What `validate` let through: an fd, or one mapping selector.
    var source: AdoptJob.Source {
        if let selector { return .mapping(pid: pid, selector) }
        guard let fd else { preconditionFailure("validate() requires an fd or a mapping selector") }
        return .fd(pid: pid, fd)
    }

    var selector: MappingSelector? {
        if let map { return MappingSelector.parseAddress(map).map { .address($0) } }
        return mapIndex.map { .index($0) }
    }

    /// What the options mean, as the fast path builds it too.
    var job: AdoptJob {
        AdoptJob(via: acquire.via, json: acquire.json, type: type, offset: offset, length: length,
                 writable: writable, seal: seal, wait: wait, follow: follow || watchDeprecated,
                 interval: interval ?? everyDeprecated ?? 1, count: count, dump: dump,
                 source: source, frame: try? frame.request())
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
    /// What to take: fd N of PID, or (`--map ADDR` / `--map-index N`) the
    /// file behind a mapping of PID, or a resource by id (`adopt sysv SHMID`).
    var source: Source
    /// `--format` and the other frame options (nil: no --format).
    var frame: FrameRequest? = nil
    /// `--hold NAME` (by id): give it to the keeper at `socket`.
    var hold: String? = nil
    var socket = ""

    enum Source: Equatable {
        case fd(pid: Int32, Int32)
        case mapping(pid: Int32, MappingSelector)
        case id(type: String, Int32)
    }

    func run() throws {
        let adoption: Adoption
        var target: TargetProcess?
        switch source {
        case .mapping(let pid, let mapping):
            // The module when it opens (auto, kmod), else map_files; pidfd refused.
            let adopter = Adopter(handlers: builtInHandlers, backend: chosenBackend(via, forMappings: true), logger: Verbose.logger)
            target = try TargetProcess(pid: pid)
            adoption = try adopter.adopt(mapping: mapping, of: target!, type: type == "auto" ? nil : type)
        case .fd(let pid, let fd):
            let adopter = Adopter(handlers: builtInHandlers, backend: chosenBackend(via), logger: Verbose.logger)
            target = try TargetProcess(pid: pid, forFD: fd)
            adoption = try adopter.adopt(fd: fd, of: target!, type: type == "auto" ? nil : type)
        case .id(let type, let id):
            adoption = try Adopter(handlers: builtInHandlers, backend: PidfdBackend()).adopt(id: id, type: type)
        }
        try use(adoption, target)
    }

    private func use(_ adoption: Adoption, _ target: TargetProcess?) throws {
        let access = try adoption.open(AccessOptions(writable: writable, sealShrink: seal, waitForDevice: wait))
        if let frame, hold == nil, dump == nil {
            return try useFrame(frame, adoption, access, target)
        }
        if let hold {
            let info = try KeeperClient(socketPath: socket).hold(adoption, name: hold)
            print("held \(adoption.file.source) (\(adoption.type), \(info?.size ?? access.size) bytes) as \(hold) in \(socket)")
        } else if let dump {
            try HandOn.dump(dump).perform([adoption], pid: adoption.file.pid, defaultName: "", socket: "",
                                          range: (offset, length), open: { _ in access })
        } else {
            try followOrPreview(adoption, access, target)
        }
    }

    /// `--follow`'s periodic print, else the description and hex preview
    /// (with `frame`, the frame's line of the description).
    private func followOrPreview(_ adoption: Adoption, _ access: any BufferAccess, _ target: TargetProcess?,
                                 frame: String? = nil) throws {
        if follow {
            Watcher(access: access, adoption: adoption, target: target, offset: offset,
                    length: length ?? 64, json: json)
                .run(every: interval, count: count)
        } else {
            var description = adoption.describe()
            description.append("map", access.notes.joined(separator: "; "))
            if let frame { description.append("frame", frame) }
            try printPreview(description, access, offset: offset, length: length ?? 256, json: json)
        }
    }

    /// With --format: write, draw, follow or describe the frame.
    private func useFrame(_ request: FrameRequest, _ adoption: Adoption, _ access: any BufferAccess,
                          _ target: TargetProcess?) throws {
        let spec = try request.resolve(adoption, access: access, offset: offset, owner: target, via: via)
        let output = FrameOutput(adoption: adoption, access: access, spec: spec, request: request)
        output.announceSource()
        let view = request.view || (request.image == nil && !json && isatty(STDOUT_FILENO) == 1)
        if follow && (request.image != nil || view) {
            output.follow(every: interval, count: count, owner: target)
        } else if let image = request.image {
            try output.writeImage(to: image)
        } else if view {  // with --follow, drawn by the first branch
            try output.view()
        } else {
            try followOrPreview(adoption, access, target, frame: spec.summary + (spec.source.map { " (\($0))" } ?? ""))
        }
    }
}
