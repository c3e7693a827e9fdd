// SPDX-License-Identifier: Apache-2.0
import Foundation
import RemoteFD
import SysvPlugin
import Testing
import TestSupport

/// System V segments: a python producer (shmget + shmat), Samples'
/// sysv-producer and Xvfb's -shmem framebuffer, listed, adopted by mapping
/// and by id, dumped, kept and refused.
@Suite("System V shared memory (SysvPlugin)", .serialized)
struct SysvTests {
    /// shmget(IPC_PRIVATE, 256 KiB, MODE) + shmat; byte i = (5i + 1) mod 256;
    /// marked for destruction at once (it goes with its last attachment,
    /// however the test ends) unless "keep". Prints "pid P shmid I addr A size S".
    static let pythonSysv = """
        import ctypes, os, sys
        libc = ctypes.CDLL(None, use_errno=True)
        libc.shmat.restype = ctypes.c_void_p
        libc.shmat.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
        size = 256 * 1024
        mode = int(sys.argv[1], 8) if len(sys.argv) > 1 else 0o600
        shmid = libc.shmget(0, size, 0o1000 | mode)
        addr = libc.shmat(shmid, None, 0)
        ctypes.memmove(addr, bytes((5 * i + 1) % 256 for i in range(size)), size)
        if "keep" not in sys.argv:
            libc.shmctl(shmid, 0, None)
        print("pid", os.getpid(), "shmid", shmid, "addr", hex(addr), "size", size, flush=True)
        sys.stdin.readline()
        """
    static let pattern: Data = {
        var bytes = [UInt8](repeating: 0, count: 256 * 1024)
        for i in bytes.indices { bytes[i] = UInt8(truncatingIfNeeded: 5 * i + 1) }
        return Data(bytes)
    }()

    struct Announced {
        let pid: Int32
        let shmid: Int32
        let addr: String
    }

    static func announced(_ p: Producer) -> Announced {
        let w = p.lines[0].split(separator: " ").map(String.init)
        return Announced(pid: Int32(w[1])!, shmid: Int32(w[3])!, addr: w[5])
    }

    static func segment(_ shmid: Int32) -> SysvSegment? { SysvSegments.segment(shmid) }

    @Test("adopt list PID: a mapping row of type sysv with the key, shmid, size, Rss from smaps")
    func listed() throws {
        let producer = try Producer(python: Self.pythonSysv, arguments: ["640"])
        let a = Self.announced(producer)
        let run = try Run.adopt(["list", "--json", String(a.pid)])
        #expect(run.status == 0, "\(run.stderr)")
        let row = (run.json["buffers"] as? [[String: Any]])?.first { $0["type"] as? String == "sysv" }
        #expect(row?["size"] as? Int == 256 * 1024)
        #expect(row?["held"] as? String == "map")
        #expect(row?["fd"] is NSNull)
        #expect(row?["shmid"] as? Int == Int(a.shmid))
        #expect(row?["mode"] as? String == "0640")
        #expect(row?["creator_pid"] as? Int == Int(a.pid))
        #expect(row?["rss"] as? Int == 256 * 1024, "every page was written")
        #expect((row?["mappings"] as? [String])?.first?.hasPrefix(a.addr.dropFirst(2) + "-") == true)
        let text = try Run.adopt(["list", String(a.pid)])
        #expect(text.stdout.contains("sysv: 1 buffers, 262144 bytes"), "\(text.stdout)")
        producer.send("done")
    }

    @Test("adopted by mapping (map_files, as root) and by id (shmat), dumped byte for byte")
    func adoptedAndDumped() throws {
        let dir = try TempDir("sysv")
        let producer = try Producer(python: Self.pythonSysv, arguments: ["600", "keep"])
        let a = Self.announced(producer)
        defer { shmctl(a.shmid, IPC_RMID, nil) }
        let byMap = try Run.adopt(["--via", "procfs", String(a.pid), "--map", a.addr, "--dump", dir.file("map.bin")])
        #expect(byMap.status == 0, "\(byMap.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir.file("map.bin"))) == Self.pattern)
        let byID = try Run.adopt(["sysv", String(a.shmid), "--dump", dir.file("id.bin")])
        #expect(byID.status == 0, "\(byID.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir.file("id.bin"))) == Self.pattern)
        let show = try Run.adopt(["sysv", String(a.shmid), "--json", "--length", "4"])
        #expect(show.status == 0, "\(show.stderr)")
        #expect(show.json["type"] as? String == "sysv")
        #expect(show.json["via"] as? String == "shmat")
        #expect(show.json["shmid"] as? Int == Int(a.shmid))
        #expect(show.json["marked_for_destruction"] as? Bool == false)
        #expect((show.json["map"] as? String)?.contains("SHM_RDONLY") == true)
        let wrongType = try Run.adopt(["--type", "memfd", "--via", "procfs", String(a.pid), "--map", a.addr])
        #expect(wrongType.status == 1)
        #expect(wrongType.stderr.contains("it is a System V shared memory segment, not a memfd"), "\(wrongType.stderr)")
        let none = try Run.adopt(["sysv", "2147483000"])
        #expect(none.status == 1)
        #expect(none.stderr == "adopt: shmid 2147483000: no System V segment with shmid 2147483000 in /proc/sysvipc/shm (removed, or in another IPC namespace) (EINVAL)\n")
        producer.send("done")
    }

    @Test("kept by the keeper after its producer exits, though marked for destruction; gone when released")
    func keptAfterExit() throws {
        let dir = try TempDir("sysvkeep")
        let socket = dir.file("k.sock")
        let keeper = try Spawned.adopt(["hold", "--socket", socket])
        _ = try keeper.waitFor("ready")
        let producer = try Producer(python: Self.pythonSysv, arguments: ["600"])
        let a = Self.announced(producer)
        let hold = try Run.adopt(["sysv", String(a.shmid), "--hold", "seg", "--socket", socket])
        #expect(hold.status == 0, "\(hold.stderr)")
        producer.killAndWait()
        let kept = Self.segment(a.shmid)
        #expect(kept?.attachments == 1, "only the keeper's attachment is left")
        #expect(kept?.isMarkedForDestruction == true)
        let dump = try Run.adopt(["sysv", String(a.shmid), "--dump", dir.file("kept.bin")])
        #expect(dump.status == 0, "\(dump.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir.file("kept.bin"))) == Self.pattern)
        let list = try Run.adopt(["keeper", "list", "--socket", socket, "--json"])
        #expect((list.json["buffers"] as? [[String: Any]])?.first?["type"] as? String == "sysv", "\(list.stdout)")
        let get = try Run.adopt(["keeper", "get", "seg", "--socket", socket])
        #expect(get.status == 1)
        #expect(get.stderr.contains("held attached without an fd: take it by that id (EBADF)"), "\(get.stderr)")
        let release = try Run.adopt(["keeper", "release", "seg", "--socket", socket])
        #expect(release.status == 0, "\(release.stderr)")
        #expect(Self.segment(a.shmid) == nil, "the last attachment went: so did the segment")
    }

    @Test("another uid: refused without IPC permission; with it, --map attaches by the shmid its maps line gives",
          .enabled(if: getuid() == 0, "needs root to drop to another uid (setpriv): NOT RUN"))
    func otherUid() throws {
        let dir = try TempDir("sysvuid", mode: 0o755)
        try FileManager.default.copyItem(atPath: Products.path("adopt"), toPath: dir.file("adopt"))
        let nobody = ["--reuid", "65534", "--regid", "65534", "--clear-groups"]
        func asNobody(_ arguments: [String]) throws -> Run {
            var run = try Run.program("/usr/bin/setpriv", nobody + [dir.file("adopt")] + arguments)
            for _ in 0..<20 where run.status == 126 && run.stderr.contains("Text file busy") {
                usleep(100_000)
                run = try Run.program("/usr/bin/setpriv", nobody + [dir.file("adopt")] + arguments)
            }
            return run
        }
        // Root's 0600 segment: the kernel's IPC check refuses.
        let roots = try Producer(python: Self.pythonSysv, arguments: ["600"])
        let r = Self.announced(roots)
        let refused = try asNobody(["sysv", String(r.shmid)])
        #expect(refused.status == 1)
        #expect(refused.stderr == "adopt: shmid \(r.shmid): cannot attach: the segment's mode does not let us read it (EACCES)\n")
        // Keeper run by root: a client without IPC permission cannot make it attach.
        let socket = dir.file("k.sock")
        let keeper = try Spawned.adopt(["hold", "--socket", socket, "--mode", "666"])
        _ = try keeper.waitFor("ready")
        let take = try asNobody(["sysv", String(r.shmid), "--hold", "x", "--socket", socket])
        #expect(take.status == 1)
        #expect(take.stderr.contains("may not attach it (EACCES)") || take.stderr.contains("cannot attach"), "\(take.stderr)")

        // nobody's own segment, mapped by nobody: map_files needs a
        // capability; the shmid from maps attaches, read-only.
        let own = try Producer("/usr/bin/setpriv", nobody + ["/usr/bin/python3", "-c", Self.pythonSysv, "640"])
        let o = Self.announced(own)
        let byMap = try asNobody(["--via", "procfs", String(o.pid), "--map", o.addr, "--json", "--length", "8"])
        #expect(byMap.status == 0, "\(byMap.stderr)")
        #expect(byMap.json["via"] as? String == "shmat")
        #expect(byMap.json["shmid"] as? Int == Int(o.shmid))
        // exec hands fds on: a segment attached by id has none, and says so.
        let exec = try asNobody(["exec", "--via", "procfs", "seg=\(o.pid):map\(o.addr)", "--", "/bin/true"])
        #expect(exec.status == 1)
        #expect(exec.stderr.contains("--exec passes fds, and this sysv is held without one (attached by id): give the next program its shmid \(o.shmid) instead"), "\(exec.stderr)")
        roots.send("done")
        own.send("done")
    }

    @Test("adopt watch --maps keeps the segments of a process that exits: attached by id at its exit stop (no capability)",
          .enabled(if: getuid() == 0, "needs root to drop to another uid (setpriv): NOT RUN"))
    func watchKeeps() throws {
        let dir = try TempDir("sysvwatch", mode: 0o777)
        try FileManager.default.copyItem(atPath: Products.path("adopt"), toPath: dir.file("adopt"))
        let nobody = ["--reuid", "65534", "--regid", "65534", "--clear-groups"]
        // Marked for destruction: without the watcher's attachment it would
        // go with its producer.
        let producer = try Producer("/usr/bin/setpriv", nobody + ["/usr/bin/python3", "-c", Self.pythonSysv, "600"])
        let a = Self.announced(producer)
        let watch = try Spawned("/usr/bin/setpriv", nobody + [dir.file("adopt"), "watch", String(a.pid), "--maps",
                                                               "--dump-dir", dir.path])
        _ = try watch.waitFor("watching")
        producer.send("done")
        #expect(watch.waitForExit() == 0)
        let dumped = try Data(contentsOf: URL(fileURLWithPath: dir.file("\(a.pid)-shmid\(a.shmid).sysv")))
        #expect(dumped == Self.pattern)
        #expect(Self.segment(a.shmid) == nil, "the watcher let it go once dumped")
    }

    @Test("adopt list --all shows a segment nobody has attached, with who made it and who used it last")
    func unattached() throws {
        let producer = try Producer(python: Self.pythonSysv, arguments: ["600", "keep"])
        let a = Self.announced(producer)
        // Attach then kill: the segment stays (no RMID), nattch 0.
        producer.killAndWait()
        defer { shmctl(a.shmid, IPC_RMID, nil) }
        let run = try Run.adopt(["list", "--all", "--json"])
        let row = (run.json["buffers"] as? [[String: Any]])?.first { $0["shmid"] as? Int == Int(a.shmid) }
        #expect(row?["held"] as? String == "none")
        #expect(row?["pid"] is NSNull)
        #expect(row?["attached"] as? Int == 0)
        #expect(row?["creator_pid"] as? Int == Int(a.pid))
        #expect(row?["last_pid"] as? Int == Int(a.pid))
        #expect(row?["size"] as? Int == 256 * 1024)
        let notAll = try Run.adopt(["list", "--json", String(getpid())])
        #expect((notAll.json["buffers"] as? [[String: Any]])?.contains { $0["shmid"] as? Int == Int(a.shmid) } != true)
    }

    @Test("Samples/sysv-producer: listed and adopted by mapping index")
    func sample() throws {
        let producer = try Producer(Products.path("sysv-producer"), ["--size", "65536", "--rmid"], lines: 2)
        let w = producer.lines[0].split(separator: " ").map(String.init)
        let pid = w[1]
        let run = try Run.adopt(["--via", "procfs", pid, "--map-index", "0", "--length", "16"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("type:") && run.stdout.contains("sysv"), "\(run.stdout)")
        #expect(run.stdout.contains("Hello, System V!"), "\(run.stdout)")
    }

    @Test("Xvfb -shmem: its framebuffer segment is listed with its size and dumped equal to the server's memory",
          .enabled(if: XvfbServer.installed, "needs Debian's xvfb: NOT RUN"))
    func xvfb() throws {
        let dir = try TempDir("xvfb")
        let xvfb = try XvfbServer(display: 90 + getpid() % 100)
        #expect(xvfb.size >= 320 * 200 * 4, "a 320x200 framebuffer of 32-bit pixels: \(xvfb.size) bytes")
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/xsetroot") { _ = try xvfb.paintRoot("#336699") }
        let dump = try Run.adopt(["--via", "procfs", String(xvfb.pid), "--map", xvfb.address, "--dump", dir.file("fb.bin")])
        #expect(dump.status == 0, "\(dump.stderr)")
        let dumped = try Data(contentsOf: URL(fileURLWithPath: dir.file("fb.bin")))
        // The server's memory at the mapping, through /proc/PID/mem.
        let mem = FileHandle(forReadingAtPath: "/proc/\(xvfb.pid)/mem")
        try mem?.seek(toOffset: UInt64(xvfb.address.dropFirst(2), radix: 16) ?? 0)
        let memory = try mem?.read(upToCount: dumped.count) ?? Data()
        #expect(dumped.count == xvfb.size)
        #expect(dumped == memory)
        #expect(dumped.contains(0x99), "xsetroot's colour is in the framebuffer")
    }
}
