// SPDX-License-Identifier: Apache-2.0
import Foundation
import Glibc
import Testing
import TestSupport

/// The keeper is a server any client of its socket can send fds to: it
/// must close every fd a request brought and did not keep, whatever the
/// request was (issue 19: `listener PATH` with a pipe attached kept the
/// pipe and answered ok).
@Suite("The keeper keeps only the fds it takes", .serialized)
struct KeeperFDTests {
    /// A pipe's read end for a request to carry; the write end is closed.
    /// (Not close-on-exec: every child a test starts closes fds >= 3.)
    static func pipeEnd() -> Int32 {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { return -1 }
        close(ends[1])
        return ends[0]
    }

    @Test("each request kind with a pipe attached: refused, and the keeper's fd table is back at its baseline after each answer")
    func everyRequestClosesItsFDs() throws {
        let held = try KeeperTests.holdPattern()
        let keeper = held.keeper.pid
        let connection = try KeeperConnection(held.socket)
        #expect(try connection.request("list") == "ok 1")
        let baseline = openFDs(pid: keeper)

        let lines = ["listener \(held.dir.file("l.sock"))", "list", "get cam0", "get none", "release none",
                     "add x", "add y 1 2", "import z 0 1 2", "handover \(held.dir.file("none.sock"))",
                     "bogus words", ""]
        for round in 0..<5 {
            for line in lines {
                let fd = Self.pipeEnd()
                let reply = try connection.request(line, fds: [fd])
                close(fd)
                #expect(reply.hasPrefix("err "), "'\(line)' with a pipe attached: \(reply)")
                #expect(openFDs(pid: keeper) == baseline, "round \(round), '\(line)': \(reply)")
            }
        }
        let pipe = Self.pipeEnd()
        #expect(try connection.request("listener \(held.dir.file("l.sock"))", fds: [pipe])
                == "err ENOTSOCK listener \(held.dir.file("l.sock")): the fd attached is not a socket")
        // A request line in two messages, the fd on the first.
        connection.send(Array("add spl".utf8), fds: [pipe])
        close(pipe)
        #expect(try connection.request("it").hasPrefix("err EINVAL not an adoptable buffer"))
        #expect(openFDs(pid: keeper) == baseline)

        // More fds than the keeper's control buffer holds (64): MSG_CTRUNC.
        let many = (0..<70).map { _ in open("/dev/null", O_RDONLY | O_CLOEXEC) }
        let truncated = try connection.request("list", fds: many)
        many.forEach { close($0) }
        #expect(truncated == "err EMSGSIZE the fds attached to the request were cut short (MSG_CTRUNC); nothing done")
        #expect(openFDs(pid: keeper) == baseline)

        // What a request takes it keeps: add a memfd (one more fd), release it (back).
        let producer = try Producer(Producers.memfd, [])
        let memfd = open("/proc/\(producer.pid)/fd/\(producer.fd())", O_RDWR)
        #expect(try connection.request("add kept", fds: [memfd]).hasPrefix("ok kept memfd "))
        close(memfd)
        #expect(openFDs(pid: keeper).count == baseline.count + 1)
        #expect(try connection.request("release kept") == "ok")
        #expect(openFDs(pid: keeper) == baseline)
        #expect(held.keeper.isRunning)
    }

    @Test("fuzz: a few hundred seeded random requests leave the keeper running, its fd table at baseline, its buffer intact",
          .timeLimit(.minutes(1)))
    func fuzz() throws {
        let seed = ProcessInfo.processInfo.environment["ADOPT_FUZZ_SEED"].flatMap { UInt64($0) }
            ?? UInt64.random(in: 0...UInt64.max)
        print("keeper fuzz: seed \(seed) (ADOPT_FUZZ_SEED=\(seed) replays it)")
        var rng = SplitMix64(seed: seed)
        let held = try KeeperTests.holdPattern()
        let keeper = held.keeper.pid
        // A connection open from the baseline to the end: the rest are closed.
        let probe = try KeeperConnection(held.socket)
        #expect(try probe.request("list") == "ok 1")
        let baseline = openFDs(pid: keeper)

        let requests = FuzzRequests(directory: held.dir)
        let deadline = Date().addingTimeInterval(40)
        var connection: KeeperConnection?
        var (sent, answers, dropped) = (0, 0, 0)
        for i in 0..<400 {
            guard Date() < deadline else {
                Issue.record("seed \(seed): the fuzz ran out of time after \(i) requests")
                break
            }
            if connection == nil || connection!.closedByKeeper || rng.next() % 8 == 0 {
                connection = try KeeperConnection(held.socket)
            }
            let (bytes, whole) = requests.random(using: &rng)
            let fds = FuzzRequests.randomFDs(using: &rng)
            connection!.send(bytes, fds: fds)
            fds.forEach { close($0) }
            sent += 1
            guard whole else {
                connection = nil  // half a line, then gone
                continue
            }
            // One status line per line; fewer when it drops us (a line over 4 KiB).
            answers += try connection!.statusLines(bytes.filter { $0 == 0x0a }.count).count
            if connection!.closedByKeeper { dropped += 1 }
            if !held.keeper.isRunning {
                Issue.record("seed \(seed): the keeper died at request \(i): \(held.keeper.stderrText())")
                return
            }
        }
        connection = nil
        print("keeper fuzz: \(sent) requests, \(answers) status lines, \(dropped) connections ended by the keeper")

        #expect(held.keeper.isRunning, "seed \(seed)")
        #expect(settledFDs(pid: keeper, expected: baseline) == baseline, "seed \(seed): the keeper's fd table grew")
        #expect(try probe.request("list") == "ok 1", "seed \(seed)")
        let data = try KeeperTests.dump("cam0", socket: held.socket, to: held.dir.file("out.bin"))
        #expect(checksum(data) == checksum(held.pattern), "seed \(seed): the held buffer changed")
    }
}

/// Random keeper requests: verbs with odd words, garbage, NULs, 70 KB
/// lines, invalid UTF-8; never `release cam0` (the buffer checked at the end).
struct FuzzRequests {
    let directory: TempDir

    /// A request's bytes, and whether it ends in a newline (else it is half a line).
    func random(using rng: inout SplitMix64) -> ([UInt8], Bool) {
        func word() -> String {
            ["cam0", "x", "a.b", "-1", "0", "4294967296", "🙂", String(repeating: "n", count: 300),
             directory.file("none.sock"), directory.file("k.sock"), "/"].randomElement(using: &rng)!
        }
        /// A request line: the verb with its number of words, or any number.
        func line(wellFormed: Bool = false) -> [UInt8] {
            let (verb, arity) = [("list", 0), ("get", 1), ("release", 1), ("add", 1), ("add", 3), ("import", 4),
                                 ("listener", 1), ("handover", 1), ("LIST", 0), ("ok", 0), ("err", 2)]
                .randomElement(using: &rng)!
            let count = wellFormed ? arity : Int.random(in: 0...4, using: &rng)
            var words = [verb] + (0..<count).map { _ in word() }
            if verb == "release" && words.count > 1 && words[1] == "cam0" { words[1] = "x" }
            return Array(words.joined(separator: " ").utf8)
        }
        switch Int.random(in: 0..<11, using: &rng) {
        case 0, 1, 2, 3:
            return (line(wellFormed: true) + [0x0a], true)
        case 4:
            return (line() + [0x0a], true)
        case 5:  // garbage bytes, newlines and NULs among them
            return ((0..<Int.random(in: 1...200, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) } + [0x0a], true)
        case 6:  // NULs inside words
            var bytes = line()
            bytes.insert(0, at: Int.random(in: 0...bytes.count, using: &rng))
            return (bytes + [0, 0x0a], true)
        case 7:  // 70 KB on one line
            return ([UInt8](repeating: UInt8(ascii: "a"), count: 70_000) + [0x0a], true)
        case 8:  // invalid UTF-8
            return (Array("add ".utf8) + [0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80] + [0x0a], true)
        case 9:  // several lines in one message
            return (line() + [0x0a] + line() + [0x0a] + [0x0a], true)
        default:  // half a line
            return (line(), false)
        }
    }

    /// 0 to 3 fds of assorted kinds (never a buffer: no add can succeed).
    static func randomFDs(using rng: inout SplitMix64) -> [Int32] {
        (0..<Int.random(in: 0...3, using: &rng)).map { _ in
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: return KeeperFDTests.pipeEnd()
            case 1: return open("/dev/null", O_RDWR | O_CLOEXEC)
            case 2: return socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            default:
                var pair: [Int32] = [-1, -1]
                guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else { return -1 }
                close(pair[1])
                return pair[0]
            }
        }.filter { $0 >= 0 }
    }
}

/// A seeded generator (SplitMix64), so a failing run can be replayed.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
