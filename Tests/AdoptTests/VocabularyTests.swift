@testable import adopt
import ArgumentParser
import Foundation
import Testing

@Suite("One CLI vocabulary")
struct VocabularyTests {
    /// The job ArgumentParser makes of `arguments`.
    static func parsedJob(_ arguments: [String]) throws -> FastPath.Job? {
        switch try AdoptCommand.parseAsRoot(arguments) {
        case let command as AdoptOne: return .adopt(command.job)
        case let command as ListCommand: return .list(command.job)
        default: return nil
        }
    }

    @Test("the fast path and ArgumentParser make the same job of the same arguments",
          arguments: [["1234", "3"], ["1", "0"], ["2147483647", "2147483647"],
                      ["list", "1"], ["list", "1", "2", "3"], ["list", "--no-sharers", "42"],
                      ["list", "--all"], ["list", "--all", "--no-rss"], ["list", "--no-maps", "7", "--no-sharers"],
                      ["list", "--mapped-only", "--all", "--no-maps", "--no-rss", "--no-sharers"],
                      ["list", "--via", "pidfd", "1"], ["list", "1", "--via", "kmod", "--json"], ["list", "--json", "--all"],
                      ["list", "--via", "procfs", "--no-sharers", "9"]])
    func fastPathMatchesParser(arguments: [String]) throws {
        let fast = try #require(FastPath.job(for: arguments))
        #expect(try Self.parsedJob(arguments) == fast)
    }

    @Test("whatever the fast path does not take exactly is left to the parser",
          arguments: [["--json", "1", "3"], ["1", "-3"], ["+1", "3"], ["1"], ["1", "2", "3"], ["99999999999", "3"],
                      ["list"], ["show", "1", "3"], ["list", "--no-sharers"],
                      ["list", "--all", "1"], ["list", "--all", "--all"], ["list", "-1"],
                      ["list", "--via", "1"], ["list", "--via", "nope", "1"], ["list", "--via=pidfd", "1"],
                      ["list", "--via", "pidfd", "--via", "kmod", "1"], ["list", "--json", "--json", "1"],
                      ["list", "--verbose", "1"], ["list", "1", "--via"]])
    func fastPathDeclines(arguments: [String]) {
        #expect(FastPath.job(for: arguments) == nil)
    }

    @Test("the previous release's spellings mean the same job")
    func oldSpellingsParse() throws {
        let new = try Self.parsedJob(["--follow", "--interval", "0.5", "1", "3"])
        #expect(try Self.parsedJob(["--watch", "--every", "0.5", "1", "3"]) == new)
        #expect(try Self.parsedJob(["adopt-fd", "1", "3"]) == Self.parsedJob(["show", "1", "3"]))
        #expect(try Self.parsedJob(["show", "1", "3"]) == FastPath.job(for: ["1", "3"]))
    }

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
