import ArgumentParser
import Core
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
        let inventory = Inventory(handlers: builtInHandlers, backend: Backends.resolve(acquire.via))
        let scanned = all ? Inventory.allPids() : pids
        let result = inventory.scan(pids: scanned, findSharers: !noSharers && !all)
        let totals = Totals(result.entries)
        if acquire.json {
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
        let widths = header.indices.map { col in ([header] + rows).map { $0[col].count }.max()! }
        for row in [header] + rows {
            print(row.enumerated().map { col, cell in
                col == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[col] - cell.count)
            }.joined(separator: "  "))
        }
        for error in result.errors { print("error: \(error)") }
        print("total: \(totals.count) buffers, \(totals.bytes) bytes")
        for (key, value) in totals.groups { print("  \(key): \(value.count) buffers, \(value.bytes) bytes") }
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
        var seen = Set<String>()
        var order: [String] = []
        var sums: [String: (count: Int, bytes: Int)] = [:]
        for e in entries where seen.insert("\(e.device):\(e.inode)").inserted {
            count += 1
            bytes += e.size
            var keys = [e.type]
            if let key = e.totalsKey, let value = e.description[key] { keys.append("\(e.type) \(key)=\(value.text)") }
            for k in keys {
                if sums[k] == nil { order.append(k) }
                sums[k, default: (0, 0)].count += 1
                sums[k, default: (0, 0)].bytes += e.size
            }
        }
        groups = order.map { ($0, sums[$0]!) }
    }
}
