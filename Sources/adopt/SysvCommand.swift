// SPDX-License-Identifier: Apache-2.0
import ArgumentParser
import RemoteFD

/// `adopt sysv SHMID`: a System V segment by id, with shmat, under the
/// kernel's own IPC permission check: no process named, no ptrace rights,
/// no module. A segment already marked for destruction can still be
/// taken, as Linux allows, and stays while we hold it.
struct SysvCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sysv",
        abstract: "Adopt a System V shared memory segment by shmid (ipcs -m): describe, map, preview.",
        discussion: """
            Attaches the segment (read-only unless --writable) under its IPC mode, as shmat(2)
            decides. `adopt list PID` shows the segments a process has attached; `adopt list
            --all` also those nobody has attached (they stay until IPC_RMID).

              adopt sysv 42                 describe and preview shmid 42
              adopt sysv 42 --dump seg.bin  copy it out
              adopt sysv 42 --hold seg      give it to the keeper, which stays attached
              adopt sysv 42 --format XR24 --size 320x200 --offset 3232 --image fb.png
                                            a framebuffer in it as PNG
            """)

    @Flag(name: .long, help: "Print JSON instead of text.")
    var json = false

    @Option(name: .long, help: "Preview (or dump) from this byte offset; with --format, the frame's.")
    var offset: Int = 0

    @Option(name: .long, help: "Preview this many bytes (dump: copy at most this many).")
    var length: Int?

    @Flag(name: .long, help: "Attach read-write (the segment's mode must allow it).")
    var writable = false

    @Flag(name: .long, help: "Keep it attached and print it periodically.")
    var follow = false

    @Option(name: .long, help: "With --follow: seconds between prints (default 1).")
    var interval: Double = 1

    @Option(name: .long, help: "With --follow: stop after this many prints (default: until interrupted).")
    var count: Int?

    @Option(name: .long, help: "Copy the contents to FILE ('-' for standard output).")
    var dump: String?

    @Option(name: .long, help: "Give it to the keeper under NAME: the keeper attaches it and holds it.")
    var hold: String?

    @OptionGroup var socket: KeeperSocketOption

    @OptionGroup(title: "Frames") var frame: FrameOptions

    @Argument(help: "The segment's id (the shmid column of ipcs -m, or of adopt list).")
    var shmid: Int32

    func validate() throws {
        guard offset >= 0 else { throw ValidationError("--offset must be >= 0") }
        if let length, length < 0 { throw ValidationError("--length must be >= 0") }
        guard interval > 0 else { throw ValidationError("--interval must be > 0") }
        guard shmid >= 0 else { throw ValidationError("a shmid is >= 0") }
        if hold != nil && (dump != nil || follow) { throw ValidationError("--hold goes alone (not with --dump or --follow)") }
        try AdoptOne.validate(frame: frame.request(), dump: dump, json: json, follow: follow, hold: hold != nil)
    }

    func run() throws {
        var job = AdoptJob(json: json, type: "sysv", offset: offset, length: length, writable: writable,
                           follow: follow, interval: interval, count: count, dump: dump,
                           source: .id(type: "sysv", shmid), frame: try frame.request())
        job.hold = hold
        job.socket = socket.path
        try job.run()
    }
}
