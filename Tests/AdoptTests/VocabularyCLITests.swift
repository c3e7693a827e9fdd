// SPDX-License-Identifier: Apache-2.0
import Foundation
import Testing
import TestSupport

/// The vocabulary as the built `adopt` takes it: the old spellings' stderr
/// lines and refused mixes (the parsing itself: UnitTests' VocabularyTests).
@Suite("One CLI vocabulary: the adopt command")
struct VocabularyCLITests {
    @Test("old spellings still work, each with one deprecation line on stderr")
    func deprecationLines() throws {
        let producer = try Producer(Producers.memfd, [])
        let (pid, fd) = (String(producer.pid), String(producer.fd()))
        let follow = try Run.adopt(["--watch", "--every", "0.1", "--count", "1", pid, fd])
        #expect(follow.status == 0, "\(follow.stderr)")
        #expect(follow.stderr == """
            adopt: --watch is deprecated and will be removed in the next release: use --follow
            adopt: --every is deprecated and will be removed in the next release: use --interval

            """)
        #expect(follow.stdout.contains("owner alive"))

        let show = try Run.adopt(["adopt-fd", pid, fd])
        #expect(show.status == 0)
        #expect(show.stderr.hasPrefix("adopt: the subcommand name adopt-fd is deprecated"))
        #expect(show.stdout.contains("type:              memfd"))

        let exec = try Run.adopt(["exec", "--fd", "buf=\(pid):\(fd)", "--", "/bin/sh", "-c", "echo $LISTEN_FDNAMES"])
        #expect(exec.status == 0, "\(exec.stderr)")
        #expect(exec.stdout == "buf\n")
        #expect(exec.stderr.contains("exec --fd NAME=PID:FD is deprecated"))

        let dir = try TempDir("vocab")
        let socket = dir.file("k.sock")
        let hold = try Spawned.adopt(["hold", "--socket", socket, "--name", "cam0", "\(pid):\(fd)"])
        try hold.waitFor("ready")
        let add = try Run.adopt(["keeper", "add", "cam1", "\(pid):\(fd)", "--socket", socket])
        #expect(add.status == 0, "\(add.stderr)")
        #expect(add.stderr.contains("keeper add NAME PID:FD is deprecated"))
        let list = try Run.adopt(["keeper", "list", "--socket", socket, "--json"])
        #expect((list.json["buffers"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["cam0", "cam1"])
        kill(hold.pid, SIGTERM)
        #expect(hold.waitForExit() == 0)
        #expect(hold.stderrText().contains("hold --name NAME PID:FD is deprecated"))

        let watch = try Run.adopt(["watch", "--via", "pidfd", "--name", "no-such-comm", "--poll-interval", "0.05", "--timeout", "0.2"])
        #expect(watch.status == 1)
        #expect(watch.stderr.contains("watch --name COMM is deprecated"))
        #expect(watch.stderr.contains("--poll-interval is deprecated"))
        #expect(watch.stderr.contains("adopt: watch --name no-such-comm: no process with that name started within 0.2 s (ETIMEDOUT)"))
    }

    @Test("a new spelling and a refused mix")
    func newSpellings() throws {
        let run = try Run.adopt(["hold", "--socket", "/nonexistent/x.sock", "cam0"])
        #expect(run.status != 0)
        #expect(run.stderr.contains("give each buffer as NAME=PID:FD (got 'cam0')"))
        let both = try Run.adopt(["watch", "1", "--dump", "a", "--dump-dir", "b"])
        #expect(both.stderr.contains("choose one of --dump, --dump-dir, --hold, --to-fdstore, --exec"))
    }
}
