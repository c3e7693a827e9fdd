// SPDX-License-Identifier: Apache-2.0
import Foundation
import TestSupport
import Testing


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
