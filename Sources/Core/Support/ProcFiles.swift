import Glibc
import SystemPackage

/// Small readers for /proc text files.
public enum ProcFiles {
    /// The whole file (procfs files report size 0: read until EOF).
    public static func read(_ path: String, limit: Int = 1 << 20) -> String? {
        guard let fd = try? FileDescriptor.open(FilePath(path), .readOnly, options: [.closeOnExec]) else {
            return nil
        }
        defer { try? fd.close() }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while bytes.count < limit {
            let n = (try? chunk.withUnsafeMutableBytes { try fd.read(into: $0) }) ?? 0
            if n <= 0 { break }
            bytes.append(contentsOf: chunk[..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    public static func readInt(_ path: String) -> Int? {
        read(path).flatMap { Int($0.trimmingWhitespace) }
    }

    /// "Key:\tvalue" lines (/proc/PID/status, fdinfo) as a dictionary.
    public static func keyValues(_ text: String) -> [String: String] {
        var result: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            result[String(line[..<colon])] = String(line[line.index(after: colon)...]).trimmingWhitespace
        }
        return result
    }

    public static func status(pid: pid_t) -> [String: String] {
        read("/proc/\(pid)/status").map(keyValues) ?? [:]
    }

    /// The target of a symbolic link (/proc/PID/fd/N, /proc/self/fd/N).
    public static func readLink(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink(path, &buffer, buffer.count - 1)
        guard n >= 0 else { return nil }
        return String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// /proc/PID/fdinfo/N.
public enum ProcFdInfo {
    public static func fields(pid: pid_t, fd: Int32) -> [String: String]? {
        ProcFiles.read("/proc/\(pid)/fdinfo/\(fd)").map(ProcFiles.keyValues)
    }

    /// The open flags (octal in fdinfo).
    public static func flags(pid: pid_t, fd: Int32) -> Int32? {
        fields(pid: pid, fd: fd)?["flags"].flatMap { Int32($0, radix: 8) }
    }
}

extension StringProtocol {
    var trimmingWhitespace: String {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s.removeFirst() }
        while let c = s.last, c.isWhitespace { s.removeLast() }
        return String(s)
    }
}
