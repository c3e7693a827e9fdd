// SPDX-License-Identifier: Apache-2.0
import RemoteFD
import RemoteFDHandOff
import Foundation
import SystemPackage
import Testing
import TestSupport

@Suite("Handing on: adopt exec, adopt watch --exec, adopt fdstore", .serialized)
struct HandOnTests {
    @Test("exec: the right fds under the right names at 3…, LISTEN_PID = the command's pid, nothing else passed")
    func execEnvironment() throws {
        let producer = try Producer(Producers.memfd, ["--count", "2"], lines: 2)
        let (fd0, fd1) = (producer.fd(0), producer.fd(1))
        let id0 = try #require(fileID(pid: producer.pid, fd: fd0))
        let id1 = try #require(fileID(pid: producer.pid, fd: fd1))
        // b first: the order given is the order at 3, 4.
        let run = try Run.adopt(["exec", "second=\(producer.pid):\(fd1)", "first=\(producer.pid):\(fd0)", "--",
                                 "/bin/sh", "-c",
                                 "echo \"fds=$LISTEN_FDS pid=$LISTEN_PID names=$LISTEN_FDNAMES self=$$\"; "
                                 + "echo link3=$(readlink /proc/$$/fd/3); echo link4=$(readlink /proc/$$/fd/4); "
                                 + "echo ino3=$(stat -L -c %d:%i /proc/$$/fd/3); echo ino4=$(stat -L -c %d:%i /proc/$$/fd/4); "
                                 + "echo open-begin; ls /proc/$$/fd; echo open-end"])
        #expect(run.status == 0, "\(run.stderr)")
        let lines = Dictionary(uniqueKeysWithValues: run.stdout.split(separator: "\n").compactMap { line -> (String, String)? in
            guard let eq = line.firstIndex(of: "=") else { return nil }
            return (String(line[..<eq]), String(line[line.index(after: eq)...]))
        })
        let first = run.stdout.split(separator: "\n").first.map(String.init) ?? ""
        let shellPid = first.split(separator: " ").last.map { String($0.dropFirst(5)) } ?? "?"
        #expect(first == "fds=2 pid=\(shellPid) names=second:first self=\(shellPid)", "\(run.stdout)")
        #expect(lines["link3"] == "/memfd:testmemfd-1 (deleted)")
        #expect(lines["link4"] == "/memfd:testmemfd-0 (deleted)")
        #expect(lines["ino3"] == "\(id1.0):\(id1.1)")
        #expect(lines["ino4"] == "\(id0.0):\(id0.1)")
        // ls runs in a child of the shell: what it lists is the shell's (= the command's) fd table.
        let all = run.stdout.split(separator: "\n").map(String.init)
        let open = all.drop { $0 != "open-begin" }.dropFirst().prefix { $0 != "open-end" }
        #expect(open.compactMap { Int($0) }.sorted() == [0, 1, 2, 3, 4], "\(run.stdout)")
    }

    @Test("exec refuses what is not a buffer, naming pid, fd and errno, and execs nothing")
    func execRefuses() throws {
        let producer = try Producer(Producers.memfd, [])
        let run = try Run.adopt(["exec", "x=\(producer.pid):1", "--", "/bin/echo", "ran"])
        #expect(run.status == 1)
        #expect(run.stdout.isEmpty)
        #expect(run.stderr == "adopt: pid \(producer.pid) fd 1: not an adoptable buffer: pipe\n")
        let bad = try Run.adopt(["exec", "a:b=\(producer.pid):\(producer.fd())", "--", "/bin/echo"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("bad fd name 'a:b'"))
    }

    @Test("the restartable producer counts on from where the first run stopped (adopt exec)")
    func restartableExec() throws {
        let first = try Spawned(Products.path("restartable-producer"), ["--steps", "5", "--interval", "10"])
        let created = try first.waitFor("created")
        let fd = created.split(separator: " ")[4]
        try first.waitFor("waiting")
        let second = try Spawned.adopt(["exec", "counter=\(first.pid):\(fd)", "--",
                                        Products.path("restartable-producer"), "--steps", "3", "--interval", "10"])
        let resumed = try second.waitFor("resumed")
        #expect(resumed.hasPrefix("resumed pid \(second.pid) fd 3 at 5"), "LISTEN_PID must be adopt's own pid, exec'd in place")
        #expect(try second.readLine() == "count 6")
        #expect(try second.readLine() == "count 7")
        #expect(try second.readLine() == "count 8")
        #expect(try second.readLine() == "waiting")
    }

    @Test("watch --exec: the producer is SIGKILLed, its successor gets the buffer and counts on")
    func restartableAfterCrash() throws {
        let first = try Spawned(Products.path("restartable-producer"), ["--steps", "4", "--interval", "10"])
        try first.waitFor("created")
        try first.waitFor("waiting")
        let watch = try Spawned.adopt(["watch", String(first.pid), "--fdname", "counter", "--exec", "--",
                                       Products.path("restartable-producer"), "--steps", "2", "--interval", "10"])
        try watch.waitFor("watching pid=\(first.pid)")
        kill(first.pid, SIGKILL)
        #expect(first.waitForExit() == SIGKILL)
        let resumed = try watch.waitFor("resumed")
        #expect(resumed.hasPrefix("resumed pid \(watch.pid) fd 3 at 4"), "\(watch.seen)")
        #expect(try watch.readLine() == "count 5")
        #expect(try watch.readLine() == "count 6")
    }

    /// A datagram socket standing in for systemd's $NOTIFY_SOCKET.
    final class FakeNotifySocket {
        let socket: FileDescriptor
        let address: String

        init(address: String) throws {
            let raw = Glibc.socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard raw >= 0 else { throw TestFailure("socket: errno \(errno)") }
            socket = FileDescriptor(rawValue: raw)
            self.address = address
            var addr = sockaddr_un()
            addr.sun_family = sa_family_t(AF_UNIX)
            let bytes = Array(address.utf8)
            withUnsafeMutableBytes(of: &addr.sun_path) { dst in
                for (i, b) in bytes.enumerated() { dst[i] = b }
                if address.hasPrefix("@") { dst[0] = 0 }
            }
            let len = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (address.hasPrefix("@") ? 0 : 1))
            let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(raw, $0, len) } }
            guard rc == 0 else { throw TestFailure("bind \(address): errno \(errno)") }
        }

        deinit {
            try? socket.close()
            if !address.hasPrefix("@") { unlink(address) }
        }

        func receive() throws -> FdPassing.Received {
            var pfd = pollfd(fd: socket.rawValue, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 5000) == 1 else { throw TestFailure("no datagram on \(address)") }
            return try FdPassing.receive(on: socket)
        }
    }

    @Test("fdstore: FDSTORE=1 and FDNAME= with the buffer's fd reach $NOTIFY_SOCKET (path and abstract)",
          arguments: ["path", "abstract"])
    func fdstore(kind: String) throws {
        let dir = try TempDir("fdstore")
        let address = kind == "path" ? dir.file("notify") : "@rfd-notify-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let notify = try FakeNotifySocket(address: address)
        let producer = try Producer(Producers.memfd, [])
        let id = try #require(fileID(pid: producer.pid, fd: producer.fd()))
        let run = try Spawned.adopt(["fdstore", "cam0=\(producer.pid):\(producer.fd())"], environment: ["NOTIFY_SOCKET": address])
        #expect(run.waitForExit() == 0, "\(run.stderrText())")
        let message = try notify.receive()
        #expect(String(decoding: message.bytes, as: UTF8.self) == "FDSTORE=1\nFDNAME=cam0\n")
        #expect(message.fds.count == 1)
        let stored = try #require(message.fds.take())
        defer { try? stored.close() }
        var st = stat()
        #expect(fstat(stored.rawValue, &st) == 0)
        #expect(UInt64(st.st_dev) == id.0 && UInt64(st.st_ino) == id.1, "the stored fd must be the producer's memfd")
    }

    @Test("watch --to-fdstore hands the captured buffer to the fd store; without $NOTIFY_SOCKET fdstore says so")
    func watchToFdstore() throws {
        let dir = try TempDir("fdstore")
        let notify = try FakeNotifySocket(address: dir.file("notify"))
        let producer = try Producer(python: Producers.pythonMemfd)
        let watch = try Spawned.adopt(["watch", String(producer.pid), "--to-fdstore", "frames"],
                                      environment: ["NOTIFY_SOCKET": notify.address])
        try watch.waitFor("watching")
        producer.killAndWait()
        #expect(watch.waitForExit() == 0, "\(watch.stderrText())")
        let message = try notify.receive()
        #expect(String(decoding: message.bytes, as: UTF8.self) == "FDSTORE=1\nFDNAME=frames\n")
        #expect(message.fds.count == 1)
        let stored = try #require(message.fds.take())
        defer { try? stored.close() }
        var bytes = [UInt8](repeating: 0, count: 1 << 20)
        #expect(pread(stored.rawValue, &bytes, bytes.count, 0) == bytes.count)
        #expect(checksum(bytes) == checksum(Producers.pythonMemfdBytes()))

        let other = try Producer(Producers.memfd, [])
        let missing = try Spawned.adopt(["fdstore", "x=\(other.pid):\(other.fd())"], environment: ["NOTIFY_SOCKET": ""])
        #expect(missing.waitForExit() == 1)
        #expect(missing.stderrText().hasPrefix("adopt: pid \(other.pid) fd \(other.fd()): fdstore -: $NOTIFY_SOCKET is not set"))
    }
}
