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

    /// What the options mean, as the fast path builds it too.
    var job: ListJob {
        ListJob(via: acquire.via, json: acquire.json, all: all, noSharers: noSharers, pids: pids)
    }

    func run() throws {
        try job.run()
    }
}

/// What `adopt list` does once its arguments are known (the parsed command
/// and the start-up fast path both run it).
struct ListJob: Equatable {
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
            printText(result, totals)
        }
        // One uninspectable process is a line, not a failure; nothing
        // inspectable at all among explicitly named pids is.
        if !all && result.errors.count == Set(pids).count { throw ExitCode(1) }
    }

    private func printText(_ result: Inventory.Result, _ totals: Totals) {
        let rows = result.entries.map { e in
            [String(e.pid), String(e.fd), e.type, String(e.size), String(e.inode),
             e.description["name"].map { $0 == .null ? "-" : $0.text } ?? "-", e.detail,
             e.sharedWith.isEmpty ? "-" : e.sharedWith.map(String.init).joined(separator: ",")]
        }
        let footer = result.errors.map { "error: \($0)" }
            + ["total: \(totals.count) buffers, \(totals.bytes) bytes (read via \(result.method))"]
            + totals.groups.map { "  \($0.key): \($0.value.count) buffers, \($0.value.bytes) bytes" }
        printTable(header: ["PID", "FD", "TYPE", "SIZE", "INODE", "NAME", "DETAIL", "SHARED-WITH"],
                   rows: rows, footer: footer)
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
        print("{\"via\":\(JSON.quote(result.method)),"
              + "\"buffers\":[\(buffers.joined(separator: ","))],\"errors\":[\(errors.joined(separator: ","))],"
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
