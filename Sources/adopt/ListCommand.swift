import ArgumentParser
import RemoteFD
import Glibc

/// `adopt list PID…` / `adopt list --all`.
struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the adoptable buffers of processes, and who else holds each.")

    @OptionGroup var acquire: AcquireOptions

    @Flag(name: .long, help: "Every process we may inspect.")
    var all = false

    @Flag(name: .long, help: "Do not look through other processes for holders of the same buffers.")
    var noSharers = false

    @Argument(help: "Process ids.")
    var pids: [Int32] = []

    func validate() throws {
        if all != pids.isEmpty { throw ValidationError("give process ids, or --all") }
    }

    func run() throws {
        try ListJob(via: acquire.via, json: acquire.json, all: all, noSharers: noSharers, pids: pids).run()
    }
}

/// What `adopt list` does once its arguments are known (the parsed command
/// and the start-up fast path both run it).
struct ListJob {
    var via: BackendChoice = .auto
    var json = false
    var all = false
    var noSharers = false
    var pids: [Int32]

    func run() throws {
        let inventory = Inventory(handlers: builtInHandlers, backend: chosenBackend(via))
        let scanned = all ? Inventory.allPids() : pids
        let result = inventory.scan(pids: scanned, findSharers: !noSharers && !all)
        let totals = Totals(result.entries)
        if json {
            printJSON(result, totals)
        } else {
            printTable(result, totals)
        }
        // One uninspectable process is a line, not a failure; nothing
        // inspectable at all among explicitly named pids is.
        if !all && result.errors.count == Set(pids).count { throw ExitCode(1) }
    }

    private func printTable(_ result: Inventory.Result, _ totals: Totals) {
        let header = ["PID", "FD", "TYPE", "SIZE", "INODE", "NAME", "DETAIL", "SHARED-WITH"]
        let rows = result.entries.map { e in
            [String(e.pid), String(e.fd), e.type, String(e.size), String(e.inode),
             e.description["name"].map { $0 == .null ? "-" : $0.text } ?? "-", e.detail,
             e.sharedWith.isEmpty ? "-" : e.sharedWith.map(String.init).joined(separator: ",")]
        }
        // One pass for the widths, and the whole table written at once: with
        // 10 000 rows, building 8 concatenated row arrays and a print per
        // line cost as much as the scan itself.
        var widths = header.map(Self.width)
        for row in rows {
            for col in row.indices { widths[col] = max(widths[col], Self.width(row[col])) }
        }
        var out: [UInt8] = []
        out.reserveCapacity((widths.reduce(0, +) + 2 * widths.count) * (rows.count + 1) + 256)
        func emit(_ row: [String]) {
            for col in row.indices {
                out.append(contentsOf: row[col].utf8)
                if col == row.count - 1 { break }
                out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: widths[col] - Self.width(row[col]) + 2))
            }
            out.append(UInt8(ascii: "\n"))
        }
        emit(header)
        for row in rows { emit(row) }
        for error in result.errors { out.append(contentsOf: "error: \(error)\n".utf8) }
        out.append(contentsOf: "total: \(totals.count) buffers, \(totals.bytes) bytes\n".utf8)
        for (key, value) in totals.groups { out.append(contentsOf: "  \(key): \(value.count) buffers, \(value.bytes) bytes\n".utf8) }
        fflush(stdout)
        _ = out.withUnsafeBytes { writeAll(STDOUT_FILENO, $0) }
    }

    /// A cell's width in characters, as `String.count` counts them, without
    /// walking grapheme clusters when the text is ASCII (nearly always).
    static func width(_ s: String) -> Int {
        var utf8 = s
        return utf8.withUTF8 { bytes in bytes.allSatisfy { $0 < 0x80 } } ? s.utf8.count : s.count
    }

    private func printJSON(_ result: Inventory.Result, _ totals: Totals) {
        let buffers = result.entries.map { e -> String in
            var d = Description()
            d.append("pid", e.pid)
            d.append("fd", e.fd)
            d.append("type", e.type)
            d.append("size", e.size)
            d.append("inode", e.inode)
            for field in e.description.fields { d.append(field.key, field.value) }
            d.append("shared_with", .strings(e.sharedWith.map(String.init)))
            return d.json
        }
        let errors = result.errors.map { e -> String in
            var d = Description()
            d.append("pid", e.pid)
            d.append("error", e.message)
            return d.json
        }
        let groups = totals.groups.map { "\(JSON.quote($0.key)):{\"count\":\($0.value.count),\"bytes\":\($0.value.bytes)}" }
        print("{\"buffers\":[\(buffers.joined(separator: ","))],\"errors\":[\(errors.joined(separator: ","))],"
              + "\"totals\":{\"count\":\(totals.count),\"bytes\":\(totals.bytes),\"groups\":{\(groups.joined(separator: ","))}}}")
    }
}

/// Sizes per type and per the handler's totals key ("dmabuf exporter=drm").
/// A buffer held by several listed fds counts once.
struct Totals {
    var count = 0
    var bytes = 0
    var groups: [(key: String, value: (count: Int, bytes: Int))] = []

    init(_ entries: [InventoryEntry]) {
        var seen = Set<FileKey>(minimumCapacity: entries.count)
        var order: [String] = []
        var sums: [String: (count: Int, bytes: Int)] = [:]
        func add(_ key: String, _ size: Int) {
            if let i = sums.index(forKey: key) {
                sums.values[i].count += 1
                sums.values[i].bytes += size
            } else {
                order.append(key)
                sums[key] = (1, size)
            }
        }
        // Fields read in place (no copy of each entry and its description).
        for i in entries.indices
        where seen.insert(FileKey(device: entries[i].device, inode: entries[i].inode)).inserted {
            let size = entries[i].size
            count += 1
            bytes += size
            add(entries[i].type, size)
            if let key = entries[i].totalsKey, let value = entries[i].description[key] {
                add("\(entries[i].type) \(key)=\(value.text)", size)
            }
        }
        groups = order.map { ($0, sums[$0]!) }
    }

    private struct FileKey: Hashable {
        let device: UInt64
        let inode: UInt64
    }
}
