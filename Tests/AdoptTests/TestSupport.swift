import Foundation
import Testing

/// Where `swift build` put the executables (beside this test binary).
enum Products {
    static let directory: URL = {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return exe.deletingLastPathComponent()
    }()

    static func path(_ name: String) -> String {
        directory.appendingPathComponent(name).path
    }
}

/// A producer process we started: reads its "pid P fd F" lines, kills it at
/// the end. posix_spawn + waitpid rather than Foundation's Process, whose
/// waitUntilExit was seen to hang on a child that exited by itself.
final class Producer {
    let pid: pid_t
    private let stdoutFD: Int32
    private let stdinFD: Int32
    private var buffered: [UInt8] = []
    private var reaped = false

    /// The lines it announced its fds with.
    private(set) var lines: [String] = []

    init(_ executable: String, _ arguments: [String], lines expected: Int = 1) throws {
        var out: [Int32] = [0, 0], inp: [Int32] = [0, 0]
        guard pipe(&out) == 0, pipe(&inp) == 0 else { throw TestFailure("pipe: \(errno)") }
        for fd in out + inp { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO)
        posix_spawn_file_actions_adddup2(&actions, inp[0], STDIN_FILENO)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let rc = posix_spawnp(&child, executable, &actions, nil, argv, environ)
        close(out[1])
        close(inp[0])
        guard rc == 0 else {
            close(out[0])
            close(inp[1])
            throw TestFailure("cannot start \(executable): \(String(cString: strerror(rc)))")
        }
        pid = child
        stdoutFD = out[0]
        stdinFD = inp[1]
        for _ in 0..<expected { lines.append(try readLine()) }
    }

    /// A python3 program as a producer.
    convenience init(python source: String, lines expected: Int = 1) throws {
        try self.init("python3", ["-c", source], lines: expected)
    }

    /// With arguments (sys.argv[1:]).
    convenience init(python source: String, arguments: [String], lines expected: Int = 1) throws {
        try self.init("python3", ["-c", source] + arguments, lines: expected)
    }

    deinit {
        killAndWait()
        close(stdoutFD)
        close(stdinFD)
    }

    /// The fd number announced on line `i` ("... fd N ...").
    func fd(_ i: Int = 0) -> Int32 {
        let words = lines[i].split(separator: " ")
        let at = words.firstIndex(of: "fd")!
        return Int32(words[at + 1])!
    }

    func readLine() throws -> String {
        while true {
            if let nl = buffered.firstIndex(of: 0x0a) {
                let line = String(decoding: buffered[..<nl], as: UTF8.self)
                buffered.removeSubrange(...nl)
                return line
            }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = read(stdoutFD, &chunk, chunk.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { throw TestFailure("producer \(pid) closed its stdout before announcing its fds") }
            buffered += chunk[..<n]
        }
    }

    func send(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeBytes { write(stdinFD, $0.baseAddress, $0.count) }
    }

    func signal(_ sig: Int32) { kill(pid, sig) }

    /// SIGKILL and reap (once).
    func killAndWait() {
        guard !reaped else { return }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        reaped = true
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Runs a built executable (or any program) and collects its output.
struct Run {
    let status: Int32
    let stdout: String
    let stderr: String

    @discardableResult
    static func program(_ executable: String, _ arguments: [String]) throws -> Run {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        // Read both to EOF before waiting: a full pipe would block the child.
        nonisolated(unsafe) var errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        p.waitUntilExit()
        return Run(status: p.terminationStatus,
                   stdout: String(decoding: outData, as: UTF8.self),
                   stderr: String(decoding: errData, as: UTF8.self))
    }

    static func adopt(_ arguments: [String]) throws -> Run {
        try program(Products.path("adopt"), arguments)
    }

    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(stdout.utf8))) as? [String: Any] ?? [:]
    }
}

/// FNV-1a over bytes, to compare contents.
func checksum<C: Collection>(_ bytes: C) -> UInt64 where C.Element == UInt8 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in bytes {
        h ^= UInt64(b)
        h = h &* 0x100_0000_01b3
    }
    return h
}

/// A pid that certainly names no process now: a child we started and reaped.
func deadPid() throws -> Int32 {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/true")
    try p.run()
    p.waitUntilExit()
    return p.processIdentifier
}

/// How many of our own fds point at inode (dev, ino).
func ownFDs(device: UInt64, inode: UInt64) -> Int {
    let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
    var count = 0
    var st = stat()
    for fd in fds where stat("/proc/self/fd/\(fd)", &st) == 0 {
        if UInt64(st.st_dev) == device && UInt64(st.st_ino) == inode { count += 1 }
    }
    return count
}
