import ArgumentParser
import RemoteFD
import Glibc

/// `adopt [options] PID FD`: the main job.
struct AdoptOne: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "adopt-fd",
        abstract: "Adopt fd FD of process PID: identify, validate, map, preview (the default subcommand).")

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
    var watch = false

    @Option(name: .long, help: "With --watch: seconds between prints.")
    var every: Double = 1

    @Option(name: .long, help: "With --watch: stop after this many prints (default: until interrupted).")
    var count: Int?

    @Option(name: .long, help: "Copy the contents to FILE ('-' for standard output) with pread.")
    var dump: String?

    @Argument(help: "The owner's process id.")
    var pid: Int32

    @Argument(help: "The fd number in the owner.")
    var fd: Int32

    func validate() throws {
        guard offset >= 0 else { throw ValidationError("--offset must be >= 0") }
        if let length, length < 0 { throw ValidationError("--length must be >= 0") }
        guard every > 0 else { throw ValidationError("--every must be > 0") }
    }

    func run() throws {
        try AdoptJob(via: acquire.via, json: acquire.json, type: type, offset: offset, length: length,
                     writable: writable, seal: seal, wait: wait, watch: watch, every: every, count: count,
                     dump: dump, pid: pid, fd: fd).run()
    }
}

/// What `adopt [options] PID FD` does once its arguments are known: the
/// parsed command and the start-up fast path (FastPath.swift) both run it.
struct AdoptJob {
    var via: BackendChoice = .auto
    var json = false
    var type = "auto"
    var offset = 0
    var length: Int?
    var writable = false
    var seal = false
    var wait = false
    var watch = false
    var every: Double = 1
    var count: Int?
    var dump: String?
    var pid: Int32
    var fd: Int32

    func run() throws {
        let adopter = Adopter(handlers: builtInHandlers, backend: chosenBackend(via))
        do {
            let target = try TargetProcess(pid: pid, forFD: fd)
            let adoption = try adopter.adopt(fd: fd, of: target, type: type == "auto" ? nil : type)
            let access = try adoption.open(AccessOptions(writable: writable, sealShrink: seal, waitForDevice: wait))
            if let dump {
                try Dumper(access: access, adoption: adoption).dump(to: dump, offset: offset, length: length)
                return
            }
            if watch {
                Watcher(access: access, adoption: adoption, target: target, offset: offset,
                        length: length ?? 64, json: json)
                    .run(every: every, count: count)
                return
            }
            try show(adoption, access)
        } catch {
            throw fail(error)
        }
    }

    private func show(_ adoption: Adoption, _ access: any BufferAccess) throws(AdoptError) {
        let bytes = try access.bytes(at: offset, length: length ?? 256)
        var description = adoption.describe()
        description.append("map", access.notes.joined(separator: "; "))
        if json {
            description.append("preview_offset", offset)
            description.append("preview_hex", bytes.map { hex(Int($0), width: 2) }.joined())
            print(description.json)
        } else {
            print(description.text)
            print("")
            print(bytes.isEmpty ? "(nothing at offset \(offset))" : hexPreview(bytes, startingAt: offset))
        }
    }
}
