// SPDX-License-Identifier: Apache-2.0
import Foundation
import Testing
import TestSupport

/// Every run passes --via pidfd: on a host with the module loaded, --via
/// auto would capture through it instead.
@Suite("Capture on exit: adopt watch (ptrace, no module)", .serialized)
struct CaptureTests {
    @Test("a SIGKILLed producer's buffer is captured at its exit stop, byte-identical")
    func sigkillCapture() throws {
        let dir = try TempDir("cap")
        let producer = try Producer(python: Producers.pythonMemfd)
        let out = dir.file("last.bin")
        let watch = try Spawned.adopt(["watch", "--via", "pidfd", String(producer.pid), "--fd", String(producer.fd()), "--dump", out])
        try watch.waitFor("watching pid=\(producer.pid)")
        #expect(statusField(pid: producer.pid, "TracerPid") == String(watch.pid))
        producer.killAndWait()
        #expect(watch.waitForExit() == 0, "\(watch.stderrText())")
        let lines = watch.remainingLines()
        #expect(lines.contains { $0.hasPrefix("exited pid=\(producer.pid) status=killed by signal 9 (SIGKILL) captured=1") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("captured pid=\(producer.pid) fd=\(producer.fd()) type=memfd") }, "\(lines)")
        let data = try Data(contentsOf: URL(fileURLWithPath: out))
        #expect(data.count == 1 << 20)
        #expect(checksum(data) == checksum(Producers.pythonMemfdBytes()))
    }

    @Test("by default every adoptable buffer is captured; the parent sees the real exit status; nothing stays held")
    func everyBufferAndExitStatus() throws {
        let dir = try TempDir("cap")
        let producer = try Spawned(python: """
            import os, sys
            a = os.memfd_create("cap-a"); os.write(a, b"A" * 5000)
            b = os.memfd_create("cap-b"); os.write(b, b"B" * 7000)
            r, w = os.pipe()
            print("pid", os.getpid(), "fd", a, "fd", b, flush=True)
            sys.stdin.readline()
            os._exit(7)
            """)
        let announced = try producer.readLine()
        let (fdA, fdB) = (Spawned.fd(in: announced, 0)!, Spawned.fd(in: announced, 1)!)
        let idA = try #require(fileID(pid: producer.pid, fd: fdA))
        let watch = try Spawned.adopt(["watch", "--via", "pidfd", String(producer.pid), "--dump-dir", dir.path, "--json"])
        try watch.waitFor("{\"event\":\"watching\"")
        producer.send("exit")
        producer.waitForExit()
        #expect(producer.exited == true)
        #expect(producer.terminationStatus == 7)
        #expect(watch.waitForExit() == 0, "\(watch.stderrText())")
        let a = try Data(contentsOf: URL(fileURLWithPath: dir.file("\(producer.pid)-fd\(fdA).memfd")))
        let b = try Data(contentsOf: URL(fileURLWithPath: dir.file("\(producer.pid)-fd\(fdB).memfd")))
        #expect(a == Data(repeating: 0x41, count: 5000))
        #expect(b == Data(repeating: 0x42, count: 7000))
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        #expect(files.count == 2, "only the two memfds, not the pipe or stdio: \(files)")
        #expect(holders(device: idA.0, inode: idA.1).isEmpty, "the captured memfd must be freed once adopt exits")
    }

    @Test("watch --maps: the files behind a SIGKILLed process's mappings, fds closed, via map_files at the exit stop",
          .enabled(if: getuid() == 0, "map_files needs CAP_SYS_ADMIN: NOT RUN"))
    func mapsCapture() throws {
        let dir = try TempDir("capmaps")
        let producer = try Producer(python: Producers.pythonMapped, lines: 2)
        let words = producer.lines[0].split(separator: " ")
        let start = String(words[3].dropFirst(2))
        let watch = try Spawned.adopt(["watch", "--via", "pidfd", "--maps", String(producer.pid), "--dump-dir", dir.path])
        try watch.waitFor("watching pid=\(producer.pid)")
        producer.killAndWait()
        #expect(watch.waitForExit() == 0, "\(watch.stderrText())")
        let lines = watch.remainingLines()
        #expect(lines.contains { $0.hasPrefix("captured pid=\(producer.pid) mapping=0x\(start)-") && $0.contains("type=memfd") }, "\(lines)")
        let data = try Data(contentsOf: URL(fileURLWithPath: dir.file("\(producer.pid)-map\(start).memfd")))
        #expect(checksum(data) == checksum(Producers.pythonMemfdBytes()))
        // Without --maps nothing is held by an fd: nothing captured.
        let again = try Producer(python: Producers.pythonMapped, lines: 2)
        let plain = try Spawned.adopt(["watch", "--via", "pidfd", String(again.pid), "--dump-dir", dir.path])
        try plain.waitFor("watching pid=\(again.pid)")
        again.killAndWait()
        #expect(plain.waitForExit() == 1)
    }

    @Test("a watched process whose watcher dies loses nothing: untraced, running, same fds")
    func watcherDiesTargetUnharmed() throws {
        let producer = try Producer(Producers.memfd, ["--interval", "20"])
        let fdsBefore = openFDs(pid: producer.pid)
        let watch = try Spawned.adopt(["watch", "--via", "pidfd", String(producer.pid)])
        try watch.waitFor("watching")
        kill(watch.pid, SIGSTOP)   // the producer keeps running while its tracer is stopped
        #expect(eventually { statusField(pid: watch.pid, "State")?.hasPrefix("T") == true }, "the watcher never stopped")
        kill(watch.pid, SIGKILL)
        watch.waitForExit()
        #expect(eventually { statusField(pid: producer.pid, "TracerPid") == "0" },
                "still traced by \(statusField(pid: producer.pid, "TracerPid") ?? "?")")
        let state = statusField(pid: producer.pid, "State") ?? ""
        #expect(state.hasPrefix("S") || state.hasPrefix("R"), "state \(state)")
        #expect(openFDs(pid: producer.pid) == fdsBefore)
        // Still writing its buffer: the greeting's counter moves (every 20 ms).
        let first = try Run.adopt(["--length", "32", String(producer.pid), String(producer.fd())])
        #expect(first.status == 0, "\(first.stderr)")
        var second = first
        #expect(try eventually {
            second = try Run.adopt(["--length", "32", String(producer.pid), String(producer.fd())])
            return second.status != 0 || second.stdout != first.stdout
        }, "the greeting never changed: \(first.stdout)")
        #expect(second.status == 0, "\(second.stderr)")
    }

    @Test("job control passes through: a stopped and continued target is still captured")
    func stopContinue() throws {
        let dir = try TempDir("cap")
        let producer = try Spawned(python: Producers.pythonMemfd)
        let fd = try #require(Spawned.fd(in: try producer.readLine()))
        let out = dir.file("out.bin")
        let watch = try Spawned.adopt(["watch", "--via", "pidfd", String(producer.pid), "--fd", String(fd), "--dump", out])
        try watch.waitFor("watching")
        kill(producer.pid, SIGSTOP)
        let stopped = eventually {
            let state = statusField(pid: producer.pid, "State") ?? ""
            return state.hasPrefix("t") || state.hasPrefix("T")
        }
        #expect(stopped, "SIGSTOP must stop the traced process as it would an untraced one")
        kill(producer.pid, SIGCONT)
        // Continued: it reads its stdin again and ends normally.
        producer.send("bye")
        #expect(producer.waitForExit(timeout: 10) == 0)
        #expect(producer.exited == true)
        #expect(watch.waitForExit() == 0, "\(watch.stderrText())")
        let data = try Data(contentsOf: URL(fileURLWithPath: out))
        #expect(checksum(data) == checksum(Producers.pythonMemfdBytes()))
    }

    @Test("a process that already has a tracer is refused, naming the tracer")
    func alreadyTraced() throws {
        let producer = try Producer(Producers.memfd, [])
        let first = try Spawned.adopt(["watch", "--via", "pidfd", String(producer.pid)])
        try first.waitFor("watching")
        let second = try Run.adopt(["watch", "--via", "pidfd", String(producer.pid)])
        #expect(second.status == 1)
        #expect(second.stderr.hasPrefix("adopt: pid \(producer.pid): already traced by pid \(first.pid) (adopt)"), "\(second.stderr)")
        #expect(second.stderr.contains("(EBUSY)"))
    }

    @Test("watch --comm waits for a process with that command name, then captures it")
    func byName() throws {
        let dir = try TempDir("cap", mode: 0o755)
        let comm = "rfdcap\(UInt16.random(in: 1000...9999))"
        try FileManager.default.copyItem(atPath: Producers.memfd, toPath: dir.file(comm))
        let out = dir.file("out.bin")
        let watch = try Spawned.adopt(["watch", "--via", "pidfd", "--comm", comm, "--timeout", "20", "--dump", out])
        // Waiting before the process exists: with CAP_NET_ADMIN (the
        // capability, not uid 0) on the kernel's process events, else polling.
        try watch.waitFor("waiting name=\(comm) method=\(hasNetAdmin() ? "netlink process events" : "polling /proc")")
        #expect(watch.isRunning)
        let producer = try Producer(dir.file(comm), ["--size", "65536"])
        try watch.waitFor("watching pid=\(producer.pid) comm=\(comm)")
        producer.killAndWait()
        #expect(watch.waitForExit() == 0, "\(watch.stderrText())")
        let data = try Data(contentsOf: URL(fileURLWithPath: out))
        #expect(data.count == 65536)
        #expect(data.prefix(22) == Data("Hello, shared memory! ".utf8))
        #expect(data[100] == UInt8(100 % 251))
    }

    @Test("watch --comm without CAP_NET_ADMIN polls /proc, and times out with one clear line",
          .enabled(if: getuid() == 0, "needs root to drop to another uid (setpriv): NOT RUN"))
    func byNamePolling() throws {
        let dir = try TempDir("cap", mode: 0o755)
        try FileManager.default.copyItem(atPath: Products.path("adopt"), toPath: dir.file("adopt"))
        let run = try Run.program("/usr/bin/setpriv", ["--reuid", "65534", "--regid", "65534", "--clear-groups",
                                                       dir.file("adopt"), "watch", "--via", "pidfd", "--comm", "no-such-comm", "--timeout", "0.3"])
        #expect(run.status == 1)
        #expect(run.stdout.contains("waiting name=no-such-comm method=polling /proc"), "\(run.stdout)")
        #expect(run.stderr.contains("adopt: watch --comm no-such-comm: no process with that name started within 0.3 s (ETIMEDOUT)"), "\(run.stderr)")
    }
}

/// CAP_NET_ADMIN (bit 12) in this process's effective set, as adopt reads it.
func hasNetAdmin() -> Bool {
    guard let hex = statusField(pid: getpid(), "CapEff"), let caps = UInt64(hex, radix: 16) else { return false }
    return caps & (1 << 12) != 0
}
