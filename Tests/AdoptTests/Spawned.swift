// SPDX-License-Identifier: Apache-2.0
import CShims
import Foundation

/// A program a test starts: posix_spawn with stdin, stdout and (unless told
/// otherwise) stderr on pipes of its own, and no other fd of this process.
/// Every wait has a deadline; at the end it is SIGKILLed and reaped.
///
/// Not Foundation's Process. It learns of a child's exit from a socket the
/// child inherits, and `adopt exec` / `watch --exec` close every fd they do
/// not hand on before exec (as systemd does). That EOF sent Foundation's one
/// monitor thread into a blocking waitpid on the live, exec'd program, and
/// every other waitUntilExit of the test process waited behind it: a CI run
/// hung until it was killed at 90 minutes. Its Pipe fds are not close-on-exec
/// either, so a child spawned by another test at the same moment kept them.
class Spawned {
    let pid: pid_t
    private let stdinFD: Int32
    private let stdoutFD: Int32
    private let stderrFD: Int32  // -1: the child writes to the test's own stderr
    private var buffered: [UInt8] = []
    private var waitStatus: Int32?

    /// Every stdout line read so far.
    private(set) var seen: [String] = []

    init(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
         captureStderr: Bool = true) throws {
        var inp: [Int32] = [-1, -1], out: [Int32] = [-1, -1], err: [Int32] = [-1, -1]
        // No close-on-exec needed: every child a test starts closes fds >= 3.
        guard pipe(&inp) == 0, pipe(&out) == 0, !captureStderr || pipe(&err) == 0 else {
            let e = errno
            for fd in inp + out + err where fd >= 0 { close(fd) }
            throw TestFailure("pipe: \(String(cString: strerror(e)))")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inp[0], STDIN_FILENO)
        posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO)
        if captureStderr { posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO) }
        rfd_spawn_closefrom(&actions, 3)
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var child: pid_t = 0
        let rc = posix_spawnp(&child, executable, &actions, nil, argv, envp)
        for fd in [inp[0], out[1], err[1]] where fd >= 0 { close(fd) }
        guard rc == 0 else {
            for fd in [inp[1], out[0], err[0]] where fd >= 0 { close(fd) }
            throw TestFailure("cannot start \(executable): \(String(cString: strerror(rc)))")
        }
        pid = child
        stdinFD = inp[1]
        stdoutFD = out[0]
        stderrFD = err[0]
    }

    static func adopt(_ arguments: [String], environment: [String: String] = [:]) throws -> Spawned {
        try Spawned(Products.path("adopt"), arguments, environment: environment)
    }

    /// A python3 program.
    convenience init(python source: String) throws {
        try self.init("python3", ["-c", source])
    }

    deinit {
        killAndWait()
        for fd in [stdinFD, stdoutFD, stderrFD] where fd >= 0 { close(fd) }
    }

    // MARK: Input and output

    func send(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeBytes { write(stdinFD, $0.baseAddress, $0.count) }
    }

    /// The fd number after the `nth` "fd" in `line`.
    static func fd(in line: String, _ nth: Int = 0) -> Int32? {
        let words = line.split(separator: " ")
        let positions = words.indices.filter { words[$0] == "fd" }
        guard nth < positions.count, positions[nth] + 1 < words.count else { return nil }
        return Int32(words[positions[nth] + 1])
    }

    /// The next stdout line; throws at EOF or after `timeout` seconds.
    func readLine(timeout: Double = 20) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let nl = buffered.firstIndex(of: 0x0a) {
                let line = String(decoding: buffered[..<nl], as: UTF8.self)
                buffered.removeSubrange(...nl)
                seen.append(line)
                return line
            }
            switch Self.read(stdoutFD, until: deadline) {
            case .bytes(let chunk): buffered += chunk
            case .timedOut: throw TestFailure("pid \(pid): no line within \(timeout) s; so far: \(seen)")
            case .end: throw TestFailure("pid \(pid) closed stdout; so far: \(seen); stderr: \(stderrText())")
            }
        }
    }

    /// Reads lines until one starts with `prefix`; returns it.
    @discardableResult
    func waitFor(_ prefix: String, timeout: Double = 20) throws -> String {
        while true {
            let line = try readLine(timeout: timeout)
            if line.hasPrefix(prefix) { return line }
        }
    }

    /// The rest of stdout up to EOF (at most `timeout` s: a grandchild may
    /// still hold the pipe).
    func remainingLines(timeout: Double = 10) -> [String] {
        buffered += Self.readToEnd(stdoutFD, timeout: timeout)
        let text = String(decoding: buffered, as: UTF8.self)
        buffered = []
        return text.split(separator: "\n").map(String.init)
    }

    /// Everything on stderr (only once it has exited).
    func stderrText() -> String {
        guard stderrFD >= 0 else { return "(on the test's stderr)" }
        guard !isRunning else { return "(still running)" }
        return String(decoding: Self.readToEnd(stderrFD, timeout: 5), as: UTF8.self)
    }

    /// stdout and stderr to EOF, read together (a full pipe would block the
    /// child); throws after `timeout` s, having SIGKILLed the child.
    func collectOutput(timeout: Double) throws -> (stdout: [UInt8], stderr: [UInt8]) {
        let deadline = Date().addingTimeInterval(timeout)
        var output: [[UInt8]] = [[], []]
        var open = [stdoutFD, stderrFD].map { $0 >= 0 }
        while open.contains(true) {
            var fds = [stdoutFD, stderrFD].map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            for i in fds.indices where !open[i] { fds[i].fd = -1 }
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else {
                killAndWait()
                throw TestFailure("pid \(pid) did not finish within \(timeout) s; stdout so far: "
                                  + String(decoding: output[0], as: UTF8.self))
            }
            guard poll(&fds, 2, Int32(left * 1000) + 1) > 0 else { continue }
            for i in fds.indices where open[i] && fds[i].revents != 0 {
                var chunk = [UInt8](repeating: 0, count: 65536)
                let n = Glibc.read(fds[i].fd, &chunk, chunk.count)
                if n > 0 { output[i] += chunk[..<n] } else if n == 0 || errno != EINTR { open[i] = false }
            }
        }
        return (output[0], output[1])
    }

    private enum ReadResult { case bytes(ArraySlice<UInt8>), end, timedOut }

    private static func read(_ fd: Int32, until deadline: Date) -> ReadResult {
        while true {
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { return .timedOut }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, Int32(left * 1000) + 1) > 0 else { continue }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = Glibc.read(fd, &chunk, chunk.count)
            if n < 0 && errno == EINTR { continue }
            return n > 0 ? .bytes(chunk[..<n]) : .end
        }
    }

    private static func readToEnd(_ fd: Int32, timeout: Double) -> [UInt8] {
        let deadline = Date().addingTimeInterval(timeout)
        var all: [UInt8] = []
        while case .bytes(let chunk) = read(fd, until: deadline) { all += chunk }
        return all
    }

    // MARK: Exit

    func signal(_ sig: Int32) { kill(pid, sig) }

    var isRunning: Bool {
        reap(blocking: false)
        return waitStatus == nil
    }

    /// Waits for the exit (at most `timeout` s, then SIGKILL). Foundation's
    /// terminationStatus: the exit code, or the number of the killing signal.
    @discardableResult
    func waitForExit(timeout: Double = 30) -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while isRunning && Date() < deadline { usleep(10_000) }
        killAndWait()
        return terminationStatus
    }

    /// SIGKILL unless it has exited; reap (once).
    func killAndWait() {
        guard isRunning else { return }
        kill(pid, SIGKILL)
        reap(blocking: true)
    }

    /// Whether it exited (rather than being killed by a signal); nil while running.
    var exited: Bool? { waitStatus.map { $0 & 0x7f == 0 } }

    var terminationStatus: Int32 {
        guard let status = waitStatus else { return -1 }
        return status & 0x7f == 0 ? (status >> 8) & 0xff : status & 0x7f
    }

    private func reap(blocking: Bool) {
        guard waitStatus == nil else { return }
        var status: Int32 = 0
        var rc: pid_t
        repeat { rc = waitpid(pid, &status, blocking ? 0 : WNOHANG) } while rc < 0 && errno == EINTR
        if rc == pid {
            waitStatus = status
        } else if rc < 0 && errno == ECHILD {
            // Reaped by someone else: stop waiting, and let a status check fail.
            waitStatus = 0x7f
        }
    }
}
