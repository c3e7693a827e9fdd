// SPDX-License-Identifier: Apache-2.0
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

/// A producer process we started: its "pid P fd F" lines are read at the
/// start; stderr stays the test's own.
final class Producer: Spawned {
    /// The lines it announced its fds with.
    private(set) var lines: [String] = []

    init(_ executable: String, _ arguments: [String], lines expected: Int = 1) throws {
        try super.init(executable, arguments, captureStderr: false)
        for _ in 0..<expected { lines.append(try readLine(timeout: 60)) }
    }

    /// A python3 program as a producer.
    convenience init(python source: String, lines expected: Int = 1) throws {
        try self.init("python3", ["-c", source], lines: expected)
    }

    /// With arguments (sys.argv[1:]).
    convenience init(python source: String, arguments: [String], lines expected: Int = 1) throws {
        try self.init("python3", ["-c", source] + arguments, lines: expected)
    }

    /// The fd number announced on line `i` ("... fd N ...").
    func fd(_ i: Int = 0) -> Int32 {
        Spawned.fd(in: lines[i])!
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Runs a built executable (or any program) and collects its output.
struct Run {
    let status: Int32
    /// stdout as bytes.
    let output: [UInt8]
    let stderr: String

    var stdout: String { String(decoding: output, as: UTF8.self) }

    @discardableResult
    static func program(_ executable: String, _ arguments: [String], timeout: Double = 120) throws -> Run {
        let child = try Spawned(executable, arguments)
        let (out, err) = try child.collectOutput(timeout: timeout)
        return Run(status: child.waitForExit(), output: out, stderr: String(decoding: err, as: UTF8.self))
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
    let child = try Spawned("/bin/true", [])
    child.waitForExit()
    return child.pid
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

/// Polls `condition` every 10 ms until it holds or `timeout` s have passed;
/// whether it held. For what no output announces (a process's state, a seal
/// another process adds), instead of sleeping a guessed time.
@discardableResult
func eventually(timeout: Double = 10, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while true {
        if try condition() { return true }
        guard Date() < deadline else { return false }
        usleep(10_000)
    }
}
