import Glibc

func printError(_ line: String) {
    var text = line
    text += "\n"
    fputs(text, stderr)
}

/// Writes all of `bytes` to `fd`, retrying short writes and EINTR.
func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
    var done = 0
    while done < bytes.count {
        let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
        if n < 0 {
            if errno == EINTR { continue }
            return false
        }
        done += n
    }
    return true
}

/// A hexdump -C style preview: offset, 16 bytes in hex, their ASCII.
func hexPreview(_ bytes: [UInt8], startingAt offset: Int) -> String {
    var lines: [String] = []
    var i = 0
    while i < bytes.count {
        let row = bytes[i..<min(i + 16, bytes.count)]
        var line = hex(offset + i, width: 8) + "  "
        for (k, b) in row.enumerated() {
            line += hex(Int(b), width: 2) + (k == 7 ? "  " : " ")
        }
        line += String(repeating: " ", count: (16 - row.count) * 3 + (row.count <= 7 ? 1 : 0))
        line += " |" + String(row.map { $0 >= 0x20 && $0 < 0x7f ? Character(UnicodeScalar($0)) : "." }) + "|"
        lines.append(line)
        i += 16
    }
    return lines.joined(separator: "\n")
}

func hex(_ value: Int, width: Int) -> String {
    let s = String(value, radix: 16)
    return String(repeating: "0", count: max(0, width - s.count)) + s
}

/// The printable text at the start of `bytes`, up to the first NUL.
func leadingText(_ bytes: [UInt8], limit: Int = 80) -> String {
    let text = bytes.prefix(limit).prefix { $0 != 0 }
    return String(text.map { $0 >= 0x20 && $0 < 0x7f ? Character(UnicodeScalar($0)) : "." })
}

/// FNV-1a, to say whether contents changed between two reads.
func checksum(_ bytes: [UInt8]) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in bytes {
        h ^= UInt64(b)
        h = h &* 0x100_0000_01b3
    }
    return h
}
