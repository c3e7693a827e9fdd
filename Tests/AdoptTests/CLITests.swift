// SPDX-License-Identifier: Apache-2.0
import Foundation
import Testing

@Suite("The adopt command")
struct CLITests {
    @Test("adopt PID FD describes, maps and previews", arguments: ["pidfd", "procfs"])
    func adoptOne(via: String) throws {
        let producer = try Producer(Producers.memfd, [])
        let run = try Run.adopt(["--via", via, String(producer.pid), String(producer.fd())])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("type:              memfd"))
        #expect(run.stdout.contains("via:               \(via)"))
        #expect(run.stdout.contains("name:              testmemfd"))
        #expect(run.stdout.contains("size:              2097152"))
        #expect(run.stdout.contains("|Hello, shared me|"))
    }

    @Test("--json gives the same fields as JSON, and a hex preview at --offset")
    func json() throws {
        let producer = try Producer(python: Producers.pythonMemfd)
        let run = try Run.adopt(["--json", "--offset", "4096", "--length", "16", String(producer.pid), String(producer.fd())])
        #expect(run.status == 0, "\(run.stderr)")
        let object = run.json
        #expect(object["type"] as? String == "memfd")
        #expect(object["size"] as? Int == 1 << 20)
        #expect(object["name"] as? String == "pyprod")
        #expect(object["seals"] as? [String] == [])
        let expected = Producers.pythonMemfdBytes()[4096..<4112].map { String(format: "%02x", $0) }.joined()
        #expect(object["preview_hex"] as? String == expected)
    }

    @Test("errors are one line naming pid, fd and errno, with a non-zero exit")
    func errors() throws {
        let producer = try Producer(Producers.memfd, [])
        let (pid, fd) = (producer.pid, producer.fd())

        let ebadf = try Run.adopt([String(pid), "77"])
        #expect(ebadf.status == 1)
        #expect(ebadf.stderr == "adopt: pid \(pid) fd 77: fd 77 is not open in process \(pid) (EBADF)\n")

        let dead = try deadPid()
        let esrch = try Run.adopt([String(dead), "3"])
        #expect(esrch.status == 1)
        #expect(esrch.stderr.hasPrefix("adopt: pid \(dead) fd 3: no such process"))
        #expect(esrch.stderr.contains("(ESRCH)"))

        let mismatch = try Run.adopt(["--type", "shm", String(pid), String(fd)])
        #expect(mismatch.status == 1)
        #expect(mismatch.stderr == "adopt: pid \(pid) fd \(fd): it is a memfd, not a POSIX shm file\n")

        let notDmabuf = try Run.adopt(["--type", "dmabuf", String(pid), String(fd)])
        #expect(notDmabuf.status == 1)
        #expect(notDmabuf.stderr == "adopt: pid \(pid) fd \(fd): it is a memfd, not a dma-buf\n")

        let stdout = try Run.adopt([String(pid), "1"])  // a pipe from our side
        #expect(stdout.status == 1)
        #expect(stdout.stderr == "adopt: pid \(pid) fd 1: not an adoptable buffer: pipe\n")

        let badFd = try Run.adopt(["--", String(pid), "-1"])
        #expect(badFd.status == 1)
        #expect(badFd.stderr.contains("fd -1"))
        #expect(badFd.stderr.contains("(EBADF)"))
    }

    @Test("--dump copies the whole buffer (sendfile, explicit offset), leaving the owner's offset alone")
    func dump() throws {
        let producer = try Producer(python: Producers.pythonMemfd)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("adopt-dump-\(getpid())-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("out.bin").path
        let run = try Run.adopt(["--dump", file, String(producer.pid), String(producer.fd())])
        #expect(run.status == 0, "\(run.stderr)")
        let data = try Data(contentsOf: URL(fileURLWithPath: file))
        #expect(data.count == 1 << 20)
        #expect(checksum(data) == checksum(Producers.pythonMemfdBytes()))

        let fdinfo = try String(contentsOfFile: "/proc/\(producer.pid)/fdinfo/\(producer.fd())", encoding: .utf8)
        #expect(fdinfo.contains("pos:\t12345"))
    }

    @Test("--dump - writes exactly the bytes at --offset/--length")
    func dumpRange() throws {
        let producer = try Producer(python: Producers.pythonMemfd)
        let run = try Run.adopt(["--dump", "-", "--offset", "100", "--length", "1000", String(producer.pid), String(producer.fd())])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.output == Array(Producers.pythonMemfdBytes()[100..<1100]))
    }

    @Test("--follow keeps printing after the owner exits, and says so")
    func watch() throws {
        let producer = try Producer(Producers.memfd, ["--interval", "100"])
        let follow = try Spawned.adopt(["--follow", "--interval", "0.2", "--count", "10", String(producer.pid), String(producer.fd())])
        // The first tick, printed while the owner lives; the other nine
        // take 1.8 s, and the kill lands before the last of them.
        try follow.waitFor("[1] ")
        producer.killAndWait()
        #expect(follow.waitForExit() == 0, "\(follow.stderrText())")
        let text = (follow.seen + follow.remainingLines()).joined(separator: "\n")
        let ticks = text.split(separator: "\n").filter { $0.hasPrefix("[") }
        #expect(ticks.count == 10)
        #expect(text.contains("owner pid \(producer.pid) has exited; the buffer is still held here"))
        #expect(ticks.first?.contains("owner alive") == true)
        #expect(ticks.last?.contains("owner gone") == true)
        #expect(ticks.last?.contains("unchanged") == true)
        #expect(ticks.last?.contains("\"Hello, shared memory! [") == true)
    }

    @Test("list finds every buffer of a producer holding several, with sizes and sharers")
    func list() throws {
        let producer = try Producer(python: Producers.pythonMany, lines: 5)
        let buffers = producer.lines.prefix(4).map { line -> (fd: Int, size: Int, type: String) in
            let w = line.split(separator: " ")
            return (Int(w[3])!, Int(w[5])!, String(w[7]))
        }
        let child = Int(producer.lines[4].split(separator: " ")[1])!
        let run = try Run.adopt(["list", "--json", String(producer.pid)])
        #expect(run.status == 0, "\(run.stderr)")
        let listed = (run.json["buffers"] as? [[String: Any]]) ?? []
        #expect(listed.count == 4)
        for buffer in buffers {
            let entry = listed.first { $0["fd"] as? Int == buffer.fd }
            #expect(entry?["size"] as? Int == buffer.size)
            #expect(entry?["type"] as? String == buffer.type)
            let sharers = entry?["shared_with"] as? [String] ?? []
            // The child kept the 64 KiB memfd only.
            #expect(sharers == (buffer.size == 65536 ? [String(child)] : []))
        }
        let totals = run.json["totals"] as? [String: Any]
        #expect(totals?["count"] as? Int == 4)
        #expect(totals?["bytes"] as? Int == 4096 + 65536 + (1 << 20) + 8192)
        // No module on this host: each fd adopted with pidfd_getfd, and said so.
        #expect(run.json["via"] as? String == "pidfd")

        let table = try Run.adopt(["list", String(producer.pid)])
        #expect(table.stdout.contains("total: 4 buffers, \(4096 + 65536 + (1 << 20) + 8192) bytes (read via pidfd)"))
        #expect(table.stdout.contains("many-65536"))
        producer.send("done")  // it removes its shm file and its child
    }

    // 80 fds: more than the 64 from which Inventory tries fd numbers instead of readdir.
    @Test("list finds every fd of a sparse table (gaps, fds 900 and 1000), and its table shows the JSON description's name and seals")
    func listSparse() throws {
        let producer = try Producer(python: """
            import fcntl, os, sys
            fds = [os.memfd_create("sparse-%d" % i, os.MFD_ALLOW_SEALING) for i in range(80)]
            for i, fd in enumerate(fds): os.ftruncate(fd, 4096 * (i + 1))
            for i in (1, 3, 40, 41, 42): os.close(fds[i])
            os.dup2(fds[5], 900, inheritable=False); os.dup2(fds[4], 1000, inheritable=False)
            fcntl.fcntl(fds[2], fcntl.F_ADD_SEALS, fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW)
            kept = [fd for i, fd in enumerate(fds) if i not in (1, 3, 40, 41, 42)]
            print("fds", *(kept + [900, 1000]), flush=True)
            sys.stdin.readline()
            """)
        let expected = Set(producer.lines[0].split(separator: " ").dropFirst().map { Int($0)! })
        let run = try Run.adopt(["list", "--json", "--no-sharers", String(producer.pid)])
        #expect(run.status == 0, "\(run.stderr)")
        let listed = (run.json["buffers"] as? [[String: Any]]) ?? []
        #expect(Set(listed.compactMap { $0["fd"] as? Int }) == expected)
        #expect(listed.first { $0["fd"] as? Int == 1000 }?["name"] as? String == "sparse-4")
        // The text table builds its columns without a description
        // (ResourceListing.listColumns): they must say the same.
        let table = try Run.adopt(["list", "--no-sharers", String(producer.pid)])
        let rows = table.stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        for entry in listed {
            let fd = entry["fd"] as? Int ?? -1
            let row = rows.first { $0.count > 6 && $0[1] == String(fd) }
            let seals = entry["seals"] as? [String] ?? []
            #expect(row?[5] == entry["name"] as? String, "fd \(fd)")
            #expect(row?[6] == "seals=" + (seals.isEmpty ? "none" : seals.joined(separator: ",")), "fd \(fd)")
        }
        #expect(rows.contains { $0.count > 6 && $0[5] == "sparse-2" && $0[6] == "seals=shrink,grow" })
        producer.send("done")
    }

    @Test("the table pads by characters, not bytes: a non-ASCII name keeps the columns after it aligned")
    func listAlignsNonASCII() throws {
        let producer = try Producer(python: """
            import os, sys
            fds = [os.memfd_create(n) for n in ("café-ünï", "plain", "x" * 40)]
            print("fds", *fds, flush=True)
            sys.stdin.readline()
            """)
        let run = try Run.adopt(["list", "--no-sharers", String(producer.pid)])
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n").filter { $0.hasPrefix("PID") || $0.hasPrefix("\(producer.pid) ") }
        #expect(lines.count == 4, "\(run.stdout)")
        // DETAIL starts at the same character column on every line.
        let columns = Set(lines.map { line in line.distance(from: line.startIndex, to: line.range(of: line.hasPrefix("PID") ? "DETAIL" : "seals=")!.lowerBound) })
        #expect(columns.count == 1, "\(run.stdout)")
        // 8 characters in a 40-wide column, then the 2-space gap.
        #expect(run.stdout.contains("café-ünï" + String(repeating: " ", count: 34) + "seals="), "\(run.stdout)")
        producer.send("done")
    }

    @Test("a process list cannot inspect is one error line, not a failed listing")
    func listWithError() throws {
        let producer = try Producer(Producers.memfd, [])
        let dead = try deadPid()
        let run = try Run.adopt(["list", String(producer.pid), String(dead)])
        #expect(run.status == 0)
        #expect(run.stdout.contains("error: pid \(dead): no such process"))
        #expect(run.stdout.contains("testmemfd"))
        let onlyDead = try Run.adopt(["list", String(dead)])
        #expect(onlyDead.status == 1)
    }

    @Test("another uid is refused, with the reason and remedies",
          .enabled(if: getuid() == 0, "needs root to drop to another uid (setpriv): NOT RUN"))
    func otherUid() throws {
        let producer = try Producer(Producers.memfd, [])
        // A copy anyone may run: the build tree may sit under a private home.
        let dir = "/tmp/adopt-uid-test-\(getpid())"
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o755])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.copyItem(atPath: Products.path("adopt"), toPath: dir + "/adopt")
        for via in ["pidfd", "procfs"] {
            let run = try Run.program("/usr/bin/setpriv", ["--reuid", "65534", "--regid", "65534", "--clear-groups",
                                                           dir + "/adopt", "--via", via, String(producer.pid), String(producer.fd())])
            #expect(run.status == 1, "\(run.stdout) \(run.stderr)")
            let lines = run.stderr.split(separator: "\n")
            #expect(lines.first?.hasPrefix("adopt: pid \(producer.pid) fd \(producer.fd()): not allowed to take fds of this process (\(via))") == true)
            #expect(lines.first?.contains("target uid 0, caller uid 65534") == true)
            #expect(lines.first?.contains("(EPERM)") == true || lines.first?.contains("(EACCES)") == true)
            #expect(lines.contains { $0.contains("hint: run as uid 0 (the owner) or as root") })
        }
    }

    @Test("adopt demo runs end to end without the module or root")
    func demo() throws {
        let run = try Run.adopt(["demo", "--seconds", "1"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("SIGKILL the producer"))
        #expect(run.stdout.contains("(unchanged)"))
        #expect(run.stdout.contains("the memfd outlived its producer"))
    }

    @Test("samples: the consumer and the extension example")
    func samples() throws {
        let producer = try Producer(Producers.memfd, ["--interval", "100"])
        let consumer = try Run.program(Products.path("consumer"), [String(producer.pid), String(producer.fd())])
        #expect(consumer.status == 0, "\(consumer.stderr)")
        #expect(consumer.stdout.contains("adopted memfd via"))
        #expect(consumer.stdout.contains("Hello, shared memory! ["))

        let eventfd = try Producer(python: """
            import os, sys
            fd = os.eventfd(42)
            print("pid", os.getpid(), "fd", fd, flush=True)
            sys.stdin.readline()
            """)
        let ext = try Run.program(Products.path("extension-example"), [String(eventfd.pid), String(eventfd.fd())])
        #expect(ext.status == 0, "\(ext.stderr)")
        #expect(ext.stdout.contains("type:      eventfd"))
        #expect(ext.stdout.contains("count:     42"))
        // The stock CLI does not know eventfds: the handler came from outside Core.
        let stock = try Run.adopt([String(eventfd.pid), String(eventfd.fd())])
        #expect(stock.stderr.contains("not an adoptable buffer: anon_inode:[eventfd]"))

        // Its ring handler claims a mapping kind: a ring file held by a
        // mapping alone gets a row, counted from smaps, with no Core change.
        let ringPath = "/tmp/ring-ext-\(getpid())"
        let ring = try Producer(python: """
            import ctypes, os, sys
            libc = ctypes.CDLL(None)
            libc.mmap.restype = ctypes.c_void_p
            libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
            fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
            os.ftruncate(fd, 65536)
            addr = libc.mmap(None, 65536, 3, 1, fd, 0)
            os.close(fd)
            ctypes.memset(addr, 7, 8192)
            print("pid", os.getpid(), flush=True)
            sys.stdin.readline()
            """, arguments: [ringPath])
        defer { unlink(ringPath) }
        let listed = try Run.program(Products.path("extension-example"), ["list", String(ring.pid)])
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(listed.stdout.contains("type ring size 65536 held map name ext-\(getpid()) detail ring ext-\(getpid()) rss 8192"), "\(listed.stdout)")
        let stockList = try Run.adopt(["list", "--json", String(ring.pid)])
        #expect((stockList.json["buffers"] as? [Any])?.isEmpty == true, "the stock CLI claims no ring files: \(stockList.stdout)")
        let check = try Run.program(Products.path("extension-example"), ["check"])
        #expect(check.status == 0 && check.stdout == "conforms: eventfd, ring\n", "\(check.stdout)\(check.stderr)")
    }
}
