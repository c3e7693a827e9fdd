// SPDX-License-Identifier: Apache-2.0
import Glibc
import SystemPackage

/// Small readers for /proc text files, shared by the package's targets.
package enum ProcFiles {
    /// The whole file (procfs files report size 0: read until EOF).
    package static func read(_ path: String, limit: Int = 1 << 20) -> String? {
        readBytes(path, limit: limit).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The whole file as bytes. Plain open/read on a stack buffer: the
    /// procfs backend reads an fdinfo file per adoption, and FilePath
    /// parsing plus a zero-filled heap chunk cost more than the syscalls.
    package static func readBytes(_ path: String, limit: Int = 1 << 20) -> [UInt8]? {
        guard case .success(let fd) = retryingOnEINTR({ open(path, O_RDONLY | O_CLOEXEC) }) else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 4096) { chunk -> [UInt8] in
            while bytes.count < limit {
                guard case .success(let n) = retryingOnEINTR({ Glibc.read(fd, chunk.baseAddress!, chunk.count) }), n > 0 else {
                    break
                }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: chunk[..<n]))
            }
            return bytes
        }
    }

    package static func readInt(_ path: String) -> Int? {
        read(path).flatMap { Int($0.trimmingWhitespace) }
    }

    /// "Key:\tvalue" lines (/proc/PID/status, fdinfo) as a dictionary.
    package static func keyValues(_ text: String) -> [String: String] {
        var result: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            result[String(line[..<colon])] = String(line[line.index(after: colon)...]).trimmingWhitespace
        }
        return result
    }

    package static func status(pid: pid_t) -> [String: String] {
        read("/proc/\(pid)/status").map(keyValues) ?? [:]
    }

    /// The target of a symbolic link (/proc/PID/fd/N, /proc/self/fd/N).
    package static func readLink(_ path: String) -> String? {
        withLinkBuffer { readlink(path, $0, $1) }
    }

    /// The target of /proc/self/fd/`fd`, the path formatted on the stack
    /// (no String interpolation and C-string copy per adoption).
    package static func ownFDLink(_ fd: Int32) -> String? {
        guard fd >= 0 else { return readLink("/proc/self/fd/\(fd)") }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 32) { path -> String? in
            var i = 0
            for byte in "/proc/self/fd/".utf8 {
                path[i] = CChar(bitPattern: byte)
                i += 1
            }
            var digits = 1
            var rest = fd / 10
            while rest > 0 { digits += 1; rest /= 10 }
            var value = fd
            for k in stride(from: i + digits - 1, through: i, by: -1) {
                path[k] = CChar(48 + value % 10)
                value /= 10
            }
            path[i + digits] = 0
            return withLinkBuffer { readlink(path.baseAddress!, $0, $1) }
        }
    }

    /// The target of the link that `handle` (O_PATH | O_NOFOLLOW) is open on.
    package static func readLink(ofHandle handle: Int32) -> String? {
        withLinkBuffer { readlinkat(handle, "", $0, $1) }
    }

    /// Runs a readlink-like call on a stack buffer (no heap array to fill
    /// and convert: a listing reads one link per fd). 512 bytes first,
    /// which holds any memfd or dma-buf name and stays on the stack (a
    /// temporary allocation above 1 KiB may go to the heap); PATH_MAX
    /// when that was too short.
    private static func withLinkBuffer(_ call: (UnsafeMutablePointer<CChar>, Int) -> Int) -> String? {
        var truncated = false
        let link = withLinkBuffer(capacity: 512, truncated: &truncated, call)
        return truncated ? withLinkBuffer(capacity: Int(PATH_MAX) + 1, truncated: &truncated, call) : link
    }

    /// nil when the call failed, or filled the whole buffer (`truncated`).
    private static func withLinkBuffer(capacity: Int, truncated: inout Bool,
                                       _ call: (UnsafeMutablePointer<CChar>, Int) -> Int) -> String? {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { buffer in
            let n = buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                call($0, buffer.count)
            }
            truncated = n == buffer.count
            guard n >= 0 && n < buffer.count else { return nil }
            return String(decoding: UnsafeBufferPointer(rebasing: buffer[..<n]), as: UTF8.self)
        }
    }
}

/// /proc/PID/fdinfo/N.
package enum ProcFdInfo {
    package static func fields(pid: pid_t, fd: Int32) -> [String: String]? {
        ProcFiles.read("/proc/\(pid)/fdinfo/\(fd)").map(ProcFiles.keyValues)
    }

    /// The open flags (octal in fdinfo). Parsed from the bytes, without
    /// building the dictionary: the procfs backend asks once per adoption.
    package static func flags(pid: pid_t, fd: Int32) -> Int32? {
        ProcFiles.readBytes("/proc/\(pid)/fdinfo/\(fd)").flatMap(flags(in:))
    }

    /// The "flags:" line of fdinfo text.
    package static func flags(in bytes: [UInt8]) -> Int32? {
        let key = Array("flags:".utf8)
        var lineStart = 0
        while lineStart < bytes.count {
            var lineEnd = lineStart
            while lineEnd < bytes.count && bytes[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
            if lineEnd - lineStart >= key.count && bytes[lineStart..<lineStart + key.count].elementsEqual(key) {
                // Same as Int32(trimmed value, radix: 8): optional sign-free
                // octal digits between blanks, nil on anything else.
                var i = lineStart + key.count
                while i < lineEnd && (bytes[i] == 0x20 || bytes[i] == 0x09) { i += 1 }
                var end = lineEnd
                while end > i && (bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 || bytes[end - 1] == 0x0d) { end -= 1 }
                guard i < end else { return nil }
                var value: Int32 = 0
                for b in bytes[i..<end] {
                    guard b >= UInt8(ascii: "0") && b <= UInt8(ascii: "7") else { return nil }
                    let (shifted, overflow) = value.multipliedReportingOverflow(by: 8)
                    guard !overflow else { return nil }
                    value = shifted + Int32(b - UInt8(ascii: "0"))
                }
                return value
            }
            lineStart = lineEnd + 1
        }
        return nil
    }
}

extension StringProtocol {
    package var trimmingWhitespace: String {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s.removeFirst() }
        while let c = s.last, c.isWhitespace { s.removeLast() }
        return String(s)
    }
}
