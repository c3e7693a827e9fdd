// SPDX-License-Identifier: Apache-2.0
import Glibc
import RemoteFD

func printError(_ line: String) {
    writeError(line + "\n")
}

/// `text` to stderr as it is (unbuffered, as C's stderr; Swift 6 refuses
/// the C `stderr` global itself: shared mutable state).
func writeError(_ text: String) {
    var text = text
    text.withUTF8 { _ = writeAll(STDERR_FILENO, UnsafeRawBufferPointer($0)) }
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
/// lines after. Cells are copied as bytes into one growable buffer
/// (numbers as digits, no String each) with their end offsets, and the
/// table is written at once: with 10 000 rows, a String per cell and a
/// print per line cost as much as the scan behind them. Raw buffers, not
/// arrays: an append is a bounds check and a copy, not a uniqueness and
/// capacity check per array (a quarter of `adopt list`'s own work).
struct TextTable: ~Copyable {
    private var cells: UnsafeMutableBufferPointer<UInt8>
    private var used = 0
    /// Where each cell ends in `cells`, row after row (32 bits: a table is
    /// far below 2 GiB, and this buffer is touched page by page).
    private var ends: UnsafeMutableBufferPointer<Int32>
    private var count = 0
    /// Display widths of the cells that are not ASCII (their width is not
    /// their byte count), by cell index: rare, so looked up only when any.
    private var wideCells: [Int: Int] = [:]
    /// Each column's widest cell so far.
    private var widths: UnsafeMutableBufferPointer<Int>
    private var column = 0

    init(header: [String], expectedRows: Int = 0) {
        widths = .allocate(capacity: header.count)
        widths.initialize(repeating: 0)
        cells = .allocate(capacity: max(256, (expectedRows + 1) * header.count * 8))
        ends = .allocate(capacity: max(16, (expectedRows + 1) * header.count))
        for title in header { add(title) }
    }

    deinit {
        cells.deallocate()
        ends.deallocate()
        widths.deallocate()
    }

    mutating func add(_ text: String) {
        var text = text
        let ascii = text.withUTF8 { bytes in
            var high: UInt8 = 0
            for byte in bytes { high |= byte }
            append(bytes)
            return high < 0x80
        }
        end(width: ascii ? nil : text.count)
    }

    mutating func add(_ value: Int) { addDigits(UInt64(value.magnitude), negative: value < 0) }
    mutating func add(_ value: Int32) { addDigits(UInt64(value.magnitude), negative: value < 0) }
    mutating func add(_ value: UInt64) { addDigits(value, negative: false) }

    /// "-": an empty cell.
    mutating func addDash() {
        var dash = UInt8(ascii: "-")
        withUnsafePointer(to: &dash) { append(UnsafeBufferPointer(start: $0, count: 1)) }
        end(width: nil)
    }

    /// Digits right to left into a stack buffer, appended at once.
    private mutating func addDigits(_ magnitude: UInt64, negative: Bool) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 24) { digits in
            var at = digits.count
            var v = magnitude
            repeat {
                at -= 1
                digits[at] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: v % 10)
                v /= 10
            } while v > 0
            if negative {
                at -= 1
                digits[at] = UInt8(ascii: "-")
            }
            append(UnsafeBufferPointer(rebasing: digits[at...]))
        }
        end(width: nil)
    }

    private mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        if used + bytes.count > cells.count {
            let bigger = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(cells.count * 2, used + bytes.count))
            bigger.baseAddress!.initialize(from: cells.baseAddress!, count: used)
            cells.deallocate()
            cells = bigger
        }
        (cells.baseAddress! + used).initialize(from: source, count: bytes.count)
        used += bytes.count
    }

    /// Closes the cell appended last; `width` nil: its byte count.
    private mutating func end(width: Int?) {
        if count == ends.count {
            let bigger = UnsafeMutableBufferPointer<Int32>.allocate(capacity: ends.count * 2)
            bigger.baseAddress!.initialize(from: ends.baseAddress!, count: count)
            ends.deallocate()
            ends = bigger
        }
        let start = count == 0 ? 0 : Int(ends[count - 1])
        ends[count] = Int32(used)
        let cellWidth = width ?? used - start
        if width != nil && cellWidth != used - start { wideCells[count] = cellWidth }
        count += 1
        if cellWidth > widths[column] { widths[column] = cellWidth }
        column = column + 1 == widths.count ? 0 : column + 1
    }

    /// Writes the table and `footer` to stdout.
    func write(footer: [String] = []) {
        let columns = widths.count
        let anyWide = !wideCells.isEmpty
        // One pass: the buffer is sized for every cell padded to its column
        // (wider than needed by the last column's padding; pages never
        // written are never touched).
        let rows = count / columns
        let bound = used + rows * (widths.reduce(0, +) + 2 * columns + 1)
            + footer.reduce(0) { $0 + $1.utf8.count + 1 }
        let out = UnsafeMutablePointer<UInt8>.allocate(capacity: bound)
        defer { out.deallocate() }
        var at = 0
        var start = 0
        var col = 0
        for i in 0..<count {
            let end = Int(ends[i])
            (out + at).initialize(from: cells.baseAddress! + start, count: end - start)
            at += end - start
            if col == columns - 1 {
                out[at] = UInt8(ascii: "\n")
                at += 1
                col = 0
            } else {
                let pad = widths[col] - (anyWide ? wideCells[i] ?? end - start : end - start) + 2
                memset(out + at, 0x20, pad)
                at += pad
                col += 1
            }
            start = end
        }
        for var line in footer {
            line.withUTF8 { bytes in
                if let base = bytes.baseAddress { (out + at).initialize(from: base, count: bytes.count) }
                at += bytes.count
            }
            out[at] = UInt8(ascii: "\n")
            at += 1
        }
        fflush(nil)  // stdout: Swift 6 refuses the C global by name
        _ = writeAll(STDOUT_FILENO, UnsafeRawBufferPointer(start: out, count: at))
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
