import Foundation
import Testing

/// A program the keep/capture/hand-on tests start: stdout read line by line
/// with a deadline, stderr collected, killed (SIGKILL) and reaped at the end.
final class Spawned {
    let process = Process()
    private let output = Pipe()
    private let errors = Pipe()
    private let input = Pipe()
    private var buffered = Data()
    private(set) var seen: [String] = []

    init(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = input
        try process.run()
    }

    static func adopt(_ arguments: [String], environment: [String: String] = [:]) throws -> Spawned {
        try Spawned(Products.path("adopt"), arguments, environment: environment)
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
    }

    /// A python3 program.
    convenience init(python source: String) throws {
        try self.init("/usr/bin/env", ["python3", "-c", source])
    }

    var pid: Int32 { process.processIdentifier }

    func send(_ line: String) {
        input.fileHandleForWriting.write(Data((line + "\n").utf8))
    }

    /// The fd number after "fd" in `line`.
    static func fd(in line: String, _ nth: Int = 0) -> Int32? {
        let words = line.split(separator: " ")
        let positions = words.indices.filter { words[$0] == "fd" }
        guard nth < positions.count, positions[nth] + 1 < words.count else { return nil }
        return Int32(words[positions[nth] + 1])
    }

    /// The next stdout line; throws at EOF or after `timeout` seconds.
    func readLine(timeout: Double = 20) throws -> String {
        let fd = output.fileHandleForReading.fileDescriptor
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let nl = buffered.firstIndex(of: 0x0a) {
                let line = String(decoding: buffered[..<nl], as: UTF8.self)
                buffered.removeSubrange(...nl)
                seen.append(line)
                return line
            }
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { throw TestFailure("pid \(pid): no line within \(timeout) s; so far: \(seen)") }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, Int32(left * 1000)) > 0 else { continue }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = read(fd, &chunk, chunk.count)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw TestFailure("pid \(pid) closed stdout; so far: \(seen); stderr: \(stderrText())") }
            buffered += chunk[..<n]
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

    /// Waits for the exit (at most `timeout` s, then SIGKILL); the status.
    @discardableResult
    func waitForExit(timeout: Double = 30) -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { kill(pid, SIGKILL) }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Everything on stderr (only once it has exited).
    func stderrText() -> String {
        guard !process.isRunning else { return "(still running)" }
        return String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }

    /// The rest of stdout after exit.
    func remainingLines() -> [String] {
        guard !process.isRunning else { return [] }
        buffered += output.fileHandleForReading.readDataToEndOfFile()
        let text = String(decoding: buffered, as: UTF8.self)
        buffered = Data()
        return text.split(separator: "\n").map(String.init)
    }
}

/// A private temporary directory (short path: Unix socket paths are < 108 bytes).
final class TempDir {
    let path: String

    init(_ label: String, mode: Int = 0o700) throws {
        path = "/tmp/rfd-\(label)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: mode])
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { path + "/" + name }
}

/// (device, inode) of fd `fd` of process `pid`.
func fileID(pid: Int32, fd: Int32) -> (UInt64, UInt64)? {
    var st = stat()
    guard stat("/proc/\(pid)/fd/\(fd)", &st) == 0 else { return nil }
    return (UInt64(st.st_dev), UInt64(st.st_ino))
}

/// Every process holding an fd on (device, inode).
func holders(device: UInt64, inode: UInt64) -> [Int32] {
    let pids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { Int32($0) }
    var result: [Int32] = []
    for pid in pids {
        for fd in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? [] {
            var st = stat()
            if stat("/proc/\(pid)/fd/\(fd)", &st) == 0, UInt64(st.st_dev) == device, UInt64(st.st_ino) == inode {
                result.append(pid)
                break
            }
        }
    }
    return result
}

/// The open fd numbers of `pid`.
func openFDs(pid: Int32) -> Set<Int> {
    Set(((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []).compactMap { Int($0) })
}

/// A field of /proc/PID/status.
func statusField(pid: Int32, _ key: String) -> String? {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
    for line in text.split(separator: "\n") where line.hasPrefix(key + ":") {
        return line.dropFirst(key.count + 1).trimmingCharacters(in: .whitespaces)
    }
    return nil
}
