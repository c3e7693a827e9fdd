// SPDX-License-Identifier: Apache-2.0
import Foundation
import Testing
import TestSupport

/// `watch --dump-dir DIR` makes up the names it writes (PID-fdN.TYPE): a
/// name someone planted there first — a symlink or a hard link to another
/// file — must be left alone, never written through (issue 19).
@Suite("Names adopt makes up: --dump-dir never writes through a planted name", .serialized)
struct DumpDirectoryTests {
    /// Two memfds ("A" × 5000, "B" × 7000); exits when told.
    static let twoMemfds = """
        import os, sys
        a = os.memfd_create("cap-a"); os.write(a, b"A" * 5000)
        b = os.memfd_create("cap-b"); os.write(b, b"B" * 7000)
        print("pid", os.getpid(), "fd", a, "fd", b, flush=True)
        sys.stdin.readline()
        """

    /// A file outside DIR that a planted name points at, with known bytes.
    struct Victim {
        let dir: TempDir
        let path: String
        let bytes = Data("not adopt's to write\n".utf8)

        init() throws {
            dir = try TempDir("victim")
            path = dir.file("victim")
            try bytes.write(to: URL(fileURLWithPath: path))
        }

        var untouched: Bool { (try? Data(contentsOf: URL(fileURLWithPath: path))) == bytes }
    }

    /// Watches `producer` with --dump-dir `dir` until it exits.
    static func watch(_ producer: Spawned, into dir: TempDir) throws -> Spawned {
        let watch = try Spawned.adopt(["watch", "--via", "pidfd", String(producer.pid), "--dump-dir", dir.path])
        try watch.waitFor("watching pid=\(producer.pid)")
        producer.send("exit")
        producer.waitForExit()
        watch.waitForExit()
        return watch
    }

    @Test("a symlink and a hard link at the names adopt will use: the target is untouched, the dumps take new names")
    func plantedLinks() throws {
        let dir = try TempDir("dumpdir")
        let victim = try Victim()
        let producer = try Spawned(python: Self.twoMemfds)
        let announced = try producer.readLine()
        let (fdA, fdB) = (Spawned.fd(in: announced, 0)!, Spawned.fd(in: announced, 1)!)
        let nameA = "\(producer.pid)-fd\(fdA).memfd", nameB = "\(producer.pid)-fd\(fdB).memfd"
        // fd A: its name and the first fallback are symlinks; fd B's is a hard link.
        #expect(symlink(victim.path, dir.file(nameA)) == 0)
        #expect(symlink(victim.path, dir.file(nameA + ".1")) == 0)
        #expect(link(victim.path, dir.file(nameB)) == 0)

        let watch = try Self.watch(producer, into: dir)
        let stderr = watch.stderrText()
        #expect(watch.terminationStatus == 0, "\(stderr)")

        #expect(victim.untouched, "adopt wrote through a planted link")
        for name in [nameA, nameA + ".1"] {
            #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: dir.file(name))) == victim.path)
            #expect(stderr.contains("adopt: pid \(producer.pid) fd \(fdA): \(dir.file(name)) already exists (EEXIST): left untouched"), "\(stderr)")
        }
        #expect(stderr.contains("adopt: pid \(producer.pid) fd \(fdB): \(dir.file(nameB)) already exists (EEXIST): left untouched"), "\(stderr)")
        let a = try Data(contentsOf: URL(fileURLWithPath: dir.file(nameA + ".2")))
        let b = try Data(contentsOf: URL(fileURLWithPath: dir.file(nameB + ".1")))
        #expect(a == Data(repeating: 0x41, count: 5000))
        #expect(b == Data(repeating: 0x42, count: 7000))
        #expect(stderr.contains("written to \(dir.file(nameA + ".2"))"), "\(stderr)")
    }

    @Test("every name taken: one error naming pid, fd and EEXIST; the other buffer is still dumped")
    func everyNameTaken() throws {
        let dir = try TempDir("dumpdir")
        let victim = try Victim()
        let producer = try Spawned(python: Self.twoMemfds)
        let announced = try producer.readLine()
        let (fdA, fdB) = (Spawned.fd(in: announced, 0)!, Spawned.fd(in: announced, 1)!)
        let nameA = "\(producer.pid)-fd\(fdA).memfd"
        for k in 0..<100 {
            #expect(symlink(victim.path, dir.file(k == 0 ? nameA : "\(nameA).\(k)")) == 0)
        }

        let watch = try Self.watch(producer, into: dir)
        let stderr = watch.stderrText()
        #expect(watch.terminationStatus == 1, "\(stderr)")
        #expect(victim.untouched, "adopt wrote through a planted link")
        #expect(stderr.contains("adopt: pid \(producer.pid) fd \(fdA): no free name for the dump: \(dir.file(nameA)) and \(nameA).1 to \(nameA).99 all exist (EEXIST)\n"), "\(stderr)")
        let b = try Data(contentsOf: URL(fileURLWithPath: dir.file("\(producer.pid)-fd\(fdB).memfd")))
        #expect(b == Data(repeating: 0x42, count: 7000))
    }

    @Test("a DIR that cannot be opened is said before anything is watched: one line, pid and errno name")
    func badDirectory() throws {
        let dir = try TempDir("dumpdir")
        let producer = try Spawned(python: Self.twoMemfds)
        _ = try producer.readLine()
        for (path, errno) in [(dir.file("missing"), "ENOENT"), ("/proc/self/status", "ENOTDIR")] {
            // Before anything is watched, so at once (not when the producer exits).
            let watch = try Spawned.adopt(["watch", "--via", "pidfd", String(producer.pid), "--dump-dir", path])
            let (stdout, stderr) = try watch.collectOutput(timeout: 10)
            #expect(watch.waitForExit() == 1)
            #expect(stdout.isEmpty, "nothing watched: \(String(decoding: stdout, as: UTF8.self))")
            #expect(String(decoding: stderr, as: UTF8.self)
                    == "adopt: pid \(producer.pid): cannot open the dump directory \(path) (\(errno))\n")
        }
        #expect(producer.isRunning)
    }
}
