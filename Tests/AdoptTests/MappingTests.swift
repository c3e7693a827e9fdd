// SPDX-License-Identifier: Apache-2.0
import Foundation
import MemfdPlugin
import RemoteFD
import ShmPlugin
import Testing

/// Buffers held by mappings only (issue 14), through /proc/PID/map_files:
/// these tests need root (CAP_SYS_ADMIN) for that path. The module's path
/// (GETMAP) is in the VM suite (vm/scenarios/55-maps*.sh).
@Suite("Buffers held by mappings only (map_files)",
       .enabled(if: getuid() == 0, "map_files needs CAP_SYS_ADMIN: run as root: NOT RUN"))
struct MappingTests {
    /// "pid P addr 0xA size S" → (P, A).
    static func announced(_ producer: Producer) -> (pid: Int32, addr: String) {
        let w = producer.lines[0].split(separator: " ")
        return (Int32(w[1])!, String(w[3]))
    }

    /// Rss and Pss in bytes of the mapping of `pid` starting at `start`, from smaps.
    static func smaps(pid: Int32, start: UInt64) throws -> (rss: Int, pss: Int) {
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/proc/\(pid)/smaps"))
        defer { try? handle.close() }
        let text = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
        var inside = false
        var rss = -1, pss = -1
        for line in text.split(separator: "\n") {
            let w = line.split(separator: " ", omittingEmptySubsequences: true)
            guard let key = w.first else { continue }
            if !key.hasSuffix(":") {
                // A mapping's header: "start-end perms offset dev inode path".
                inside = key.split(separator: "-").first.flatMap { UInt64($0, radix: 16) } == start
                continue
            }
            guard inside, w.count > 1 else { continue }
            if key == "Rss:" { rss = Int(w[1])! * 1024 }
            if key == "Pss:" { pss = Int(w[1])! * 1024 }
        }
        return (rss, pss)
    }

    @Test("adopt PID --map ADDR --dump: a closed memfd's mapping, byte-identical, also after the producer is SIGKILLed")
    func dumpAfterKill() throws {
        let producer = try Producer(python: Producers.pythonMapped, lines: 2)
        let (pid, addr) = Self.announced(producer)
        let inside = "0x" + String(UInt64(addr.dropFirst(2), radix: 16)! + 12345, radix: 16)
        #expect(try String(contentsOfFile: "/proc/\(pid)/maps", encoding: .utf8).contains("/memfd:pymapped"))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("adopt-map-\(getpid())-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }

        // Described: the mapping, the type, the path.
        let show = try Run.adopt(["--json", String(pid), "--map", inside])
        #expect(show.status == 0, "\(show.stderr)")
        #expect(show.json["type"] as? String == "memfd")
        #expect(show.json["via"] as? String == "map_files")
        #expect(show.json["name"] as? String == "pymapped")
        #expect((show.json["mapping"] as? String)?.hasPrefix(addr) == true)

        // Held by the library across the kill, dumped by the CLI before it.
        let adoption = try Adopter(handlers: HandlerRegistry([MemfdHandler()]), via: .procfs)
            .adopt(mapping: .address(UInt64(addr.dropFirst(2), radix: 16)!), of: TargetProcess(pid: pid))
        let file = dir.appendingPathComponent("map.bin").path
        let run = try Run.adopt([String(pid), "--map", inside, "--dump", file])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("pid \(pid) map \(addr): 1048576 bytes of memfd written to"))
        producer.killAndWait()
        let dumped = try Data(contentsOf: URL(fileURLWithPath: file))
        #expect(dumped.count == 1 << 20)
        #expect(checksum(dumped) == checksum(Producers.pythonMemfdBytes()))
        let access = try adoption.open()
        let after = try access.bytes(at: 0, length: 1 << 20)
        #expect(checksum(after) == checksum(Producers.pythonMemfdBytes()))
    }

    @Test("--map-index N takes the Nth buffer mapping; --via pidfd is refused, naming the remedies")
    func indexAndPidfd() throws {
        let producer = try Producer(Producers.mapped, ["--interval", "50", "--unlink"], lines: 3)
        let pid = producer.pid
        let memfdAddr = String(producer.lines[0].split(separator: " ")[3])
        let shmPath = String(producer.lines[1].split(separator: " ")[7])
        let first = try Run.adopt(["--json", String(pid), "--map-index", "0"])
        let second = try Run.adopt(["--json", String(pid), "--map-index", "1"])
        #expect(first.status == 0 && second.status == 0, "\(first.stderr) \(second.stderr)")
        let types = Set([first.json["type"] as? String, second.json["type"] as? String])
        #expect(types == ["memfd", "shm"])
        let shm = first.json["type"] as? String == "shm" ? first.json : second.json
        // --unlink: the name is gone, the mapping keeps the file.
        #expect((shm["path"] as? String)?.hasPrefix(shmPath) == true, "\(shm)")
        #expect(shm["unlinked"] as? Bool == true, "\(shm)")

        let refused = try Run.adopt(["--via", "pidfd", String(pid), "--map", memfdAddr])
        #expect(refused.status == 1)
        #expect(refused.stderr == "adopt: pid \(pid) map \(memfdAddr): a mapping cannot be reached by pidfd, which takes fds only: load the remotefd module (--via kmod), or use /proc/\(pid)/map_files (--via procfs, needs CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE) (EOPNOTSUPP)\n")
        let tooFar = try Run.adopt([String(pid), "--map-index", "2"])
        #expect(tooFar.status == 1)
        #expect(tooFar.stderr.contains("(ENXIO)"))
        producer.signal(SIGTERM)
    }

    @Test("unmapped, anonymous, the stack, [vvar], kernel addresses: one line each, what it is, the errno")
    func malformed() throws {
        let producer = try Producer(python: Producers.pythonMapped, lines: 2)
        let pid = producer.pid
        let maps = try String(contentsOfFile: "/proc/\(pid)/maps", encoding: .utf8).split(separator: "\n")
        func start(_ suffix: String) -> String? {
            maps.first { $0.hasSuffix(suffix) }.map { "0x" + $0.prefix { $0 != "-" } }
        }
        let nothing = try Run.adopt([String(pid), "--map", "0x1000"])
        #expect(nothing.stderr == "adopt: pid \(pid) map 0x1000: nothing is mapped at this address (ENXIO)\n")
        if let stack = start("[stack]") {
            let run = try Run.adopt([String(pid), "--map", stack])
            #expect(run.stderr == "adopt: pid \(pid) map \(stack): no file behind this address: it is the stack (ENODEV)\n")
        }
        if let vvar = start("[vvar]") {
            let run = try Run.adopt([String(pid), "--map", vvar])
            #expect(run.stderr.hasPrefix("adopt: pid \(pid) map \(vvar): no file behind this address: it is [vvar]"))
            #expect(run.stderr.hasSuffix("(ENODEV)\n"))
        }
        if let heap = start("[heap]") {
            let run = try Run.adopt([String(pid), "--map", heap])
            #expect(run.stderr == "adopt: pid \(pid) map \(heap): no file behind this address: it is the heap (ENODEV)\n")
        }
        let kernel = try Run.adopt([String(pid), "--map", "0xffff888000000000"])
        #expect(kernel.stderr == "adopt: pid \(pid) map 0xffff888000000000: nothing is mapped at this address (ENXIO)\n")
        let bad = try Run.adopt([String(pid), "--map", "zz"])
        #expect(bad.status != 0 && bad.stderr.contains("not an address"))
    }

    @Test("another uid is refused with what map_files needs",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") && FileManager.default.isExecutableFile(atPath: "/usr/bin/python3")))
    func otherUid() throws {
        let dir = "/tmp/adopt-map-uid-\(getpid())"
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o755])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.copyItem(atPath: Products.path("adopt"), toPath: dir + "/adopt")
        let nobody = ["--reuid", "65534", "--regid", "65534", "--clear-groups"]
        // Tests run in parallel: a child forked by another test while the
        // copy was open for writing holds it (ETXTBSY) until it execs.
        func asNobody(_ arguments: [String]) throws -> Run {
            var run = try Run.program("/usr/bin/setpriv", nobody + arguments)
            for _ in 0..<20 where run.status == 126 && run.stderr.contains("Text file busy") {
                usleep(100_000)
                run = try Run.program("/usr/bin/setpriv", nobody + arguments)
            }
            return run
        }

        // Same uid (ptrace allowed), no CAP_SYS_ADMIN: the kernel's rule, exactly.
        let own = try Producer("/usr/bin/setpriv", nobody + ["/usr/bin/python3", "-c", Producers.pythonMapped], lines: 2)
        let (pid, addr) = Self.announced(own)
        let run = try asNobody([dir + "/adopt", String(pid), "--map", addr])
        #expect(run.status == 1)
        let end = String(UInt64(addr.dropFirst(2), radix: 16)! + (1 << 20), radix: 16)
        #expect(run.stderr.hasPrefix("adopt: pid \(pid) map \(addr): /proc/\(pid)/map_files/\(addr.dropFirst(2))-\(end) needs CAP_SYS_ADMIN, or CAP_CHECKPOINT_RESTORE (Linux 5.9+), in the initial user namespace, besides ptrace access to process \(pid) (EPERM)\n"), "\(run.stderr)")
        #expect(run.stderr.contains("hint: or load the remotefd module"))

        // Root's process: not even its maps.
        let roots = try Producer(python: Producers.pythonMapped, lines: 2)
        let (rpid, raddr) = Self.announced(roots)
        let denied = try asNobody([dir + "/adopt", "--via", "procfs", String(rpid), "--map", raddr])
        #expect(denied.status == 1)
        #expect(denied.stderr.hasPrefix("adopt: pid \(rpid) map \(raddr): not allowed to read /proc/\(rpid)/maps"), "\(denied.stderr)")
        #expect(denied.stderr.contains("map_files also needs CAP_SYS_ADMIN, or CAP_CHECKPOINT_RESTORE (Linux 5.9+), in the initial user namespace"))
    }

    @Test("adopt list: a mapped-only buffer is one row held \"map\"; Rss and Pss equal smaps'; the sharer is named")
    func listRssPss() throws {
        let producer = try Producer(python: Producers.pythonMapped, arguments: ["fork"], lines: 2)
        let (pid, addr) = Self.announced(producer)
        let child = Int32(producer.lines[1].split(separator: " ")[1])!
        let start = UInt64(addr.dropFirst(2), radix: 16)!
        let run = try Run.adopt(["list", "--json", String(pid)])
        #expect(run.status == 0, "\(run.stderr)")
        let rows = (run.json["buffers"] as? [[String: Any]]) ?? []
        let row = rows.first { $0["name"] as? String == "pymapped" }
        #expect(row?["fd"] is NSNull, "a row held by mapping only has no fd")
        #expect(row?["held"] as? String == "map")
        #expect(row?["type"] as? String == "memfd")
        #expect(row?["size"] as? Int == 1 << 20)
        #expect((row?["mappings"] as? [String])?.first?.hasPrefix(String(start, radix: 16) + "-") == true)
        #expect(row?["shared_with"] as? [String] == [String(child)])
        #expect(row?["map_indexes"] as? [String] == ["0"])
        let expected = try Self.smaps(pid: pid, start: start)
        #expect(expected.rss == 1 << 20)
        #expect(row?["rss"] as? Int == expected.rss)
        #expect(row?["pss"] as? Int == expected.pss)
        // Shared with the child: Pss is half of Rss.
        #expect(expected.pss == expected.rss / 2)
        let totals = (run.json["totals"] as? [String: Any])?["mapped"] as? [String: Any]
        #expect((totals?["memfd"] as? [String: Any])?["pss"] as? Int == expected.pss)

        // The fd-only listing (--no-maps) does not see it; --mapped-only sees only it.
        let fdOnly = try Run.adopt(["list", "--json", "--no-maps", String(pid)])
        #expect(((fdOnly.json["buffers"] as? [[String: Any]]) ?? []).isEmpty)
        let both = try Run.adopt(["list", "--mapped-only", String(pid), String(child)])
        #expect(both.status == 0, "\(both.stderr)")
        #expect(both.stdout.split(separator: "\n").filter { $0.contains("pymapped") && $0.contains(" map ") }.count == 2, "\(both.stdout)")
    }

    @Test("adopt list: the sample's memfd and shm, mapped and closed, with Rss from smaps (partly touched)")
    func listSample() throws {
        let producer = try Producer(Producers.mapped, ["--touch", "8192", "--size", "65536", "--unlink"], lines: 3)
        defer { producer.signal(SIGTERM) }
        let run = try Run.adopt(["list", "--json", String(producer.pid)])
        #expect(run.status == 0, "\(run.stderr)")
        let rows = (run.json["buffers"] as? [[String: Any]]) ?? []
        #expect(Set(rows.compactMap { $0["type"] as? String }) == ["memfd", "shm"])
        for row in rows {
            #expect(row["held"] as? String == "map")
            #expect(row["rss"] as? Int == 8192, "\(row)")
            #expect(row["pss"] as? Int == 8192, "\(row)")
        }
        // --no-rss: the same rows, no smaps read, no Rss/Pss.
        let fast = try Run.adopt(["list", "--json", "--no-rss", String(producer.pid)])
        let fastRows = (fast.json["buffers"] as? [[String: Any]]) ?? []
        #expect(fastRows.count == 2)
        #expect(fastRows.allSatisfy { $0["held"] as? String == "map" && $0["rss"] is NSNull })
        let table = try Run.adopt(["list", String(producer.pid)])
        #expect(table.stdout.contains("mappedmemfd"))
        #expect(table.stdout.contains("  mapped (Rss, Pss summed over processes):"))
    }

    @Test("NAME=PID:mapADDR: adopt exec hands the file behind a mapping on as LISTEN_FDS")
    func execMapping() throws {
        let producer = try Producer(python: Producers.pythonMapped, lines: 2)
        let (pid, addr) = Self.announced(producer)
        let run = try Run.adopt(["exec", "buf=\(pid):map\(addr)", "--", "/usr/bin/python3", "-c",
                                 "import os; print(os.fstat(3).st_size, os.environ['LISTEN_FDNAMES'], os.readlink('/proc/self/fd/3'))"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.hasPrefix("1048576 buf /memfd:pymapped"), "\(run.stdout)")
        let refused = try Run.adopt(["exec", "--via", "pidfd", "buf=\(pid):map\(addr)", "--", "/bin/true"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("cannot be reached by pidfd, which takes fds only"))
    }

    @Test("a buffer held by an fd and mapped is one row, held fd+map")
    func heldBothWays() throws {
        let producer = try Producer(Producers.memfd, [])
        let run = try Run.adopt(["list", "--json", String(producer.pid)])
        let rows = (run.json["buffers"] as? [[String: Any]]) ?? []
        #expect(rows.count == 1)
        #expect(rows.first?["fd"] as? Int == Int(producer.fd()))
        #expect(rows.first?["held"] as? String == "fd+map")
        #expect((rows.first?["mappings"] as? [String])?.count == 1)
    }
}
