// SPDX-License-Identifier: Apache-2.0
import RemoteFD
import Foundation
import Testing
import TestSupport

@Suite("Keeping buffers: adopt hold and adopt keeper", .serialized)
struct KeeperTests {
    /// A keeper holding the python producer's 1 MiB pattern as cam0; the
    /// producer is killed once the keeper has it.
    struct Held {
        let dir: TempDir
        let keeper: Spawned
        let socket: String
        let pattern = Producers.pythonMemfdBytes()
    }

    static func holdPattern(mode: String = "600", dirMode: Int = 0o700) throws -> Held {
        let dir = try TempDir("keep", mode: dirMode)
        let socket = dir.file("k.sock")
        let producer = try Producer(python: Producers.pythonMemfd)
        let keeper = try Spawned.adopt(["hold", "--socket", socket, "--mode", mode,
                                        "cam0=\(producer.pid):\(producer.fd())"])
        let ready = try keeper.waitFor("ready")
        #expect(ready.contains("buffers=cam0"))
        producer.killAndWait()
        return Held(dir: dir, keeper: keeper, socket: socket)
    }

    static func dump(_ name: String, socket: String, to file: String) throws -> Data {
        let run = try Run.adopt(["keeper", "get", name, "--socket", socket, "--dump", file])
        #expect(run.status == 0, "\(run.stderr)")
        return (try? Data(contentsOf: URL(fileURLWithPath: file))) ?? Data()
    }

    @Test("a held buffer outlives its producer: list, get (byte-identical), add, release")
    func holdGetRelease() throws {
        let held = try Self.holdPattern()
        let data = try Self.dump("cam0", socket: held.socket, to: held.dir.file("out.bin"))
        #expect(data.count == 1 << 20)
        #expect(checksum(data) == checksum(held.pattern))

        let list = try Run.adopt(["keeper", "list", "--socket", held.socket, "--json"])
        #expect(list.status == 0, "\(list.stderr)")
        let buffers = list.json["buffers"] as? [[String: Any]] ?? []
        #expect(buffers.count == 1)
        #expect(buffers.first?["name"] as? String == "cam0")
        #expect(buffers.first?["type"] as? String == "memfd")
        #expect(buffers.first?["size"] as? Int == 1 << 20)

        // add: the client adopts with its own rights and passes the fd.
        let second = try Producer(Producers.memfd, [])
        let add = try Run.adopt(["keeper", "add", "cam1=\(second.pid):\(second.fd())", "--socket", held.socket])
        #expect(add.status == 0, "\(add.stderr)")
        let duplicate = try Run.adopt(["keeper", "add", "cam1=\(second.pid):\(second.fd())", "--socket", held.socket])
        #expect(duplicate.status == 1)
        #expect(duplicate.stderr.contains("already held (EEXIST)"), "\(duplicate.stderr)")
        let notBuffer = try Run.adopt(["keeper", "add", "pipe=\(second.pid):1", "--socket", held.socket])
        #expect(notBuffer.status == 1)
        #expect(notBuffer.stderr.contains("not an adoptable buffer"), "\(notBuffer.stderr)")

        let text = try Run.adopt(["keeper", "get", "cam1", "--socket", held.socket])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("name:              testmemfd"))
        #expect(text.stdout.contains("|Hello, shared me|"))

        let release = try Run.adopt(["keeper", "release", "cam0", "--socket", held.socket])
        #expect(release.status == 0, "\(release.stderr)")
        let after = try Run.adopt(["keeper", "list", "--socket", held.socket, "--json"])
        #expect((after.json["buffers"] as? [[String: Any]])?.map { $0["name"] as? String } == ["cam1"])
        let gone = try Run.adopt(["keeper", "get", "cam0", "--socket", held.socket])
        #expect(gone.status == 1)
        #expect(gone.stderr == "adopt: keeper \(held.socket): get cam0: no buffer named cam0 (ENOENT)\n")
    }

    @Test("the keeper survives clients killed mid-request and leaks no fd")
    func clientKilledMidRequest() throws {
        let held = try Self.holdPattern()
        // Settle: one full request first, so the keeper's fd table is
        // stable, and its connection closed by the keeper (it may still be
        // open for a moment after the client has exited).
        _ = try Run.adopt(["keeper", "list", "--socket", held.socket])
        let before = stableFDs(pid: held.keeper.pid)

        // Half a request, then SIGKILL.
        let half = try Producer(python: """
            import socket, os, sys
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(sys.argv[1] if len(sys.argv) > 1 else "\(held.socket)")
            s.sendall(b"get ca")
            print("pid", os.getpid(), "fd", s.fileno(), flush=True)
            sys.stdin.readline()
            """)
        half.killAndWait()
        // A whole request, killed before reading the reply (an fd in flight).
        let noRead = try Producer(python: """
            import socket, os
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect("\(held.socket)")
            s.sendall(b"get cam0\\n")
            print("pid", os.getpid(), "fd", s.fileno(), flush=True)
            os.kill(os.getpid(), 9)
            """)
        noRead.killAndWait()
        // An add with an fd attached but no newline, then SIGKILL.
        let halfAdd = try Producer(python: """
            import socket, os, sys
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect("\(held.socket)")
            fd = os.memfd_create("stray")
            socket.send_fds(s, [b"add stray"], [fd])
            print("pid", os.getpid(), "fd", fd, flush=True)
            sys.stdin.readline()
            """)
        halfAdd.killAndWait()

        #expect(held.keeper.isRunning)
        let data = try Self.dump("cam0", socket: held.socket, to: held.dir.file("out.bin"))
        #expect(checksum(data) == checksum(held.pattern))
        let list = try Run.adopt(["keeper", "list", "--socket", held.socket, "--json"])
        #expect((list.json["buffers"] as? [[String: Any]])?.count == 1, "the half add must not have added anything")
        #expect(settledFDs(pid: held.keeper.pid, expected: before) == before, "the keeper's fd table changed: a client's fds leaked")
    }

    @Test("SO_PEERCRED: another uid may neither see, get nor release root's buffer",
          .enabled(if: getuid() == 0, "needs root to drop to another uid (setpriv): NOT RUN"))
    func otherUidRefused() throws {
        let held = try Self.holdPattern(mode: "666", dirMode: 0o755)
        try FileManager.default.copyItem(atPath: Products.path("adopt"), toPath: held.dir.file("adopt"))
        func asNobody(_ arguments: [String]) throws -> Run {
            try Run.program("/usr/bin/setpriv", ["--reuid", "65534", "--regid", "65534", "--clear-groups",
                                                 held.dir.file("adopt")] + arguments + ["--socket", held.socket])
        }
        let get = try asNobody(["keeper", "get", "cam0"])
        #expect(get.status == 1)
        #expect(get.stderr == "adopt: keeper \(held.socket): get cam0: buffer cam0 belongs to uid 0; uid 65534 may not get it (EACCES)\n")
        let release = try asNobody(["keeper", "release", "cam0"])
        #expect(release.status == 1)
        #expect(release.stderr.contains("(EACCES)"))
        let list = try asNobody(["keeper", "list", "--json"])
        #expect(list.status == 0, "\(list.stderr)")
        #expect((list.json["buffers"] as? [Any])?.isEmpty == true)
        let handover = try asNobody(["keeper", "handover", "--to", held.dir.file("other.sock")])
        #expect(handover.status == 1)
        #expect(handover.stderr.contains("may hand the keeper over (EACCES)"), "\(handover.stderr)")
        // Still there for root, intact.
        let data = try Self.dump("cam0", socket: held.socket, to: held.dir.file("out.bin"))
        #expect(checksum(data) == checksum(held.pattern))
    }

    @Test("handover: the successor keeps the bytes and serves the old path too; the old keeper exits")
    func handover() throws {
        let held = try Self.holdPattern()
        let newSocket = held.dir.file("k2.sock")
        let successor = try Spawned.adopt(["hold", "--socket", newSocket, "--json"])
        try successor.waitFor("{\"event\":\"ready\"")
        let run = try Run.adopt(["keeper", "handover", "--socket", held.socket, "--to", newSocket])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("handed over 1 buffers"))
        #expect(held.keeper.waitForExit(timeout: 10) == 0)
        #expect(held.keeper.remainingLines().contains { $0.hasPrefix("handed-over to=\(newSocket)") })

        let viaNew = try Self.dump("cam0", socket: newSocket, to: held.dir.file("new.bin"))
        #expect(checksum(viaNew) == checksum(held.pattern))
        let viaOld = try Self.dump("cam0", socket: held.socket, to: held.dir.file("old.bin"))
        #expect(checksum(viaOld) == checksum(held.pattern))
        let list = try Run.adopt(["keeper", "list", "--socket", held.socket, "--json"])
        #expect((list.json["buffers"] as? [[String: Any]])?.first?["owner_uid"] as? Int == Int(getuid()))

        // A handover to nobody: the keeper keeps everything.
        let refused = try Run.adopt(["keeper", "handover", "--socket", newSocket, "--to", held.dir.file("none.sock")])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("(ENOENT)"), "\(refused.stderr)")
        #expect(successor.isRunning)
        // SIGTERM: the keeper stops and removes both socket files.
        kill(successor.pid, SIGTERM)
        #expect(successor.waitForExit(timeout: 10) == 0)
        #expect(!FileManager.default.fileExists(atPath: newSocket))
        #expect(!FileManager.default.fileExists(atPath: held.socket))
    }
}
