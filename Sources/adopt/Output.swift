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
/// Built as bytes, decoded once (a String per byte was 9% of a whole
/// `adopt PID FD` run).
func hexPreview(_ bytes: [UInt8], startingAt offset: Int) -> String {
    var out: [UInt8] = []
    out.reserveCapacity((bytes.count / 16 + 1) * 80)
    var i = 0
    while i < bytes.count {
        if i > 0 { out.append(UInt8(ascii: "\n")) }
        let end = min(i + 16, bytes.count)
        appendHex(offset + i, width: 8, to: &out)
        out.append(contentsOf: [0x20, 0x20])
        for k in 0..<(end - i) {
            let b = bytes[i + k]
            out.append(hexDigits[Int(b >> 4)])
            out.append(hexDigits[Int(b & 0xf)])
            out.append(0x20)
            if k == 7 { out.append(0x20) }
        }
        let n = end - i
        out.append(contentsOf: repeatElement(0x20, count: (16 - n) * 3 + (n <= 7 ? 1 : 0)))
        out.append(contentsOf: [0x20, UInt8(ascii: "|")])
        for k in i..<end {
            let b = bytes[k]
            out.append(b >= 0x20 && b < 0x7f ? b : UInt8(ascii: "."))
        }
        out.append(UInt8(ascii: "|"))
        i += 16
    }
    return String(decoding: out, as: UTF8.self)
}

private let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

/// `hex(value, width:)`'s text, appended as bytes (value >= 0).
private func appendHex(_ value: Int, width: Int, to out: inout [UInt8]) {
    var digits: [UInt8] = []
    var v = value
    repeat {
        digits.append(hexDigits[v & 0xf])
        v >>= 4
    } while v > 0
    if digits.count < width { out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: width - digits.count)) }
    out.append(contentsOf: digits.reversed())
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
