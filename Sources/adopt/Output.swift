import Glibc
import RemoteFD

func printError(_ line: String) {
    var text = line
    text += "\n"
    fputs(text, stderr)
}

/// Writes all of `bytes` to `fd`, retrying short writes and EINTR.
func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
    var done = 0
    while done < bytes.count {
        guard case .success(let n) = retryingOnEINTR({ write(fd, bytes.baseAddress! + done, bytes.count - done) }) else {
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

/// The one preview printer (adopt PID FD, keeper get): the description,
/// then a hex preview of `length` bytes at `offset`; as JSON, the
/// description with "preview_offset" (unless `jsonOffset` is false) and
/// "preview_hex".
func printPreview(_ description: Description, _ access: any BufferAccess, offset: Int, length: Int, json: Bool,
                  jsonOffset: Bool = true, empty: String? = nil) throws(AdoptError) {
    let bytes = try access.bytes(at: offset, length: length)
    var description = description
    if json {
        if jsonOffset { description.append("preview_offset", offset) }
        description.append("preview_hex", bytes.map { hex(Int($0), width: 2) }.joined())
        print(description.json)
    } else {
        print(description.text)
        print("")
        print(bytes.isEmpty ? empty ?? "(nothing at offset \(offset))" : hexPreview(bytes, startingAt: offset))
    }
}

/// The one table printer (adopt list, keeper list): columns padded to
/// their widest cell, two spaces apart, the last one unpadded; footer
/// lines after. Cells are appended as bytes to one buffer (numbers as
/// digits, no String each), widths kept as they come, and the table is
/// written at once: with 10 000 rows, a String per cell and a print per
/// line cost as much as the scan behind them.
struct TextTable {
    private var cells: [UInt8] = []
    /// Where each cell ends in `cells`, and its width, row after row
    /// (32 bits: a table is far below 2 GiB, and these arrays are touched
    /// page by page).
    private var ends: [Int32] = []
    private var cellWidths: [Int32] = []
    private var widths: [Int]
    private var column = 0

    init(header: [String], expectedRows: Int = 0) {
        widths = Array(repeating: 0, count: header.count)
        cells.reserveCapacity((expectedRows + 1) * header.count * 8)
        ends.reserveCapacity((expectedRows + 1) * header.count)
        cellWidths.reserveCapacity((expectedRows + 1) * header.count)
        for title in header { add(title) }
    }

    mutating func add(_ text: String) {
        var text = text
        let ascii = text.withUTF8 { bytes in
            cells.append(contentsOf: bytes)
            return bytes.allSatisfy { $0 < 0x80 }
        }
        end(width: ascii ? text.utf8.count : text.count)
    }

    mutating func add<I: BinaryInteger>(_ value: I) {
        // Digits right to left into a stack buffer, appended at once.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 40) { digits in
            var at = digits.count
            var v = value.magnitude
            repeat {
                at -= 1
                digits[at] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
            } while v > 0
            if value < 0 {
                at -= 1
                digits[at] = UInt8(ascii: "-")
            }
            cells.append(contentsOf: UnsafeBufferPointer(rebasing: digits[at...]))
            end(width: digits.count - at)
        }
    }

    private mutating func end(width: Int) {
        ends.append(Int32(cells.count))
        cellWidths.append(Int32(width))
        widths[column] = max(widths[column], width)
        column = column + 1 == widths.count ? 0 : column + 1
    }

    /// Writes the table and `footer` to stdout.
    func write(footer: [String] = []) {
        let columns = widths.count
        var size = cells.count + footer.reduce(0) { $0 + $1.utf8.count + 1 }
        for i in cellWidths.indices {
            size += i % columns == columns - 1 ? 1 : widths[i % columns] - Int(cellWidths[i]) + 2
        }
        let out = [UInt8](unsafeUninitializedCapacity: size) { out, count in
            var at = 0
            func put(_ bytes: UnsafeBufferPointer<UInt8>) {
                UnsafeMutableRawPointer(out.baseAddress! + at).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
                at += bytes.count
            }
            cells.withUnsafeBufferPointer { cells in
                var start = 0
                for i in ends.indices {
                    let end = Int(ends[i])
                    put(UnsafeBufferPointer(rebasing: cells[start..<end]))
                    start = end
                    if i % columns == columns - 1 {
                        out[at] = UInt8(ascii: "\n")
                        at += 1
                    } else {
                        let pad = widths[i % columns] - Int(cellWidths[i]) + 2
                        (out.baseAddress! + at).initialize(repeating: UInt8(ascii: " "), count: pad)
                        at += pad
                    }
                }
            }
            for var line in footer {
                line.withUTF8 { put($0) }
                out[at] = UInt8(ascii: "\n")
                at += 1
            }
            count = at
        }
        fflush(stdout)
        _ = out.withUnsafeBytes { writeAll(STDOUT_FILENO, $0) }
    }
}

/// A table of text cells at once (`TextTable`).
func printTable(header: [String], rows: [[String]], footer: [String] = []) {
    var table = TextTable(header: header, expectedRows: rows.count)
    for row in rows {
        for cell in row { table.add(cell) }
    }
    table.write(footer: footer)
}
