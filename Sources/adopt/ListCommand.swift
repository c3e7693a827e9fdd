// SPDX-License-Identifier: Apache-2.0
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

    @Flag(name: .long, help: "Only the buffers processes hold by mappings alone (no fd).")
    var mappedOnly = false

    @Flag(name: .long, help: "Do not read /proc/PID/maps: fds only (the listing before mappings were joined).")
    var noMaps = false

    @Flag(name: .long, help: "Do not read /proc/PID/smaps: no Rss/Pss for memfd and shm mappings (faster system-wide).")
    var noRss = false

    @Argument(help: "Process ids.")
    var pids: [Int32] = []

    func validate() throws {
        if all != pids.isEmpty { throw ValidationError("give process ids, or --all") }
    }

    /// What the options mean, as the fast path builds it too.
    var job: ListJob {
        ListJob(via: acquire.via, json: acquire.json, all: all, noSharers: noSharers, pids: pids,
                mappedOnly: mappedOnly, noMaps: noMaps, noRss: noRss)
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
    var mappedOnly = false
    var noMaps = false
    var noRss = false

    func run() throws {
        let inventory = Inventory(handlers: builtInHandlers, backend: chosenBackend(via), logger: Verbose.logger)
        let scanned = all ? Inventory.allPids() : pids
        var result = inventory.scan(pids: scanned, findSharers: !noSharers && !all, mappings: !noMaps,
                                    residency: !noRss, describe: json, unheld: all)
        if mappedOnly { result.entries.removeAll { $0.held != "map" } }
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
        var table = TextTable(header: ["PID", "FD", "TYPE", "SIZE", "INODE", "NAME", "DETAIL", "SHARED-WITH", "HELD",
                                       "MAPS", "RSS", "PSS"], expectedRows: result.entries.count)
        for i in result.entries.indices {
            // Read in place: no copy of each entry.
            if let pid = result.entries[i].pid { table.add(pid) } else { table.addDash() }
            if let fd = result.entries[i].origin.fd { table.add(fd) } else { table.addDash() }
            table.add(result.entries[i].type)
            table.add(result.entries[i].size)
            table.add(result.entries[i].inode)
            if let name = result.entries[i].name { table.add(name) } else { table.addDash() }
            table.add(result.entries[i].detail)
            if result.entries[i].sharedWith.isEmpty {
                table.addDash()
            } else {
                table.add(result.entries[i].sharedWith.map(String.init).joined(separator: ","))
            }
            table.add(result.entries[i].held)
            if result.entries[i].mappings.isEmpty {
                table.addDash()
            } else {
                table.add(Self.rangesColumn(result.entries[i].mappings))
            }
            if let rss = result.entries[i].rss { table.add(rss) } else { table.addDash() }
            if let pss = result.entries[i].pss { table.add(pss) } else { table.addDash() }
        }
        let footer = result.errors.map { "error: \($0)" }
            + ["total: \(totals.count) buffers, \(totals.bytes) bytes (read via \(result.method))"]
            + totals.groups.map { "  \($0.key): \($0.value.count) buffers, \($0.value.bytes) bytes" }
            + (totals.mapped.isEmpty ? [] : ["  mapped (Rss, Pss summed over processes):"]
               + totals.mapped.map { "  \($0.key): \($0.value.rows) mapped, Rss \($0.value.rss) bytes, Pss \($0.value.pss) bytes" })
        table.write(footer: footer)
    }

    private func printJSON(_ result: Inventory.Result, _ totals: Totals) {
        let buffers = result.entries.map { e -> String in
            var d = Description()
            d.append("pid", e.pid.map { .int(Int64($0)) } ?? .null)
            d.append("fd", e.origin.fd.map { .int(Int64($0)) } ?? .null)
            d.append("type", e.type)
            d.append("size", e.size)
            d.append("inode", e.inode)
            for field in e.description?.fields ?? [] { d.append(field.key, field.value) }
            d.append("shared_with", .strings(e.sharedWith.map(String.init)))
            d.append("held", e.held)
            d.append("mappings", .strings(e.mappings.map { "\($0.range) \($0.perms)" }))
            d.append("map_indexes", .strings(e.mappings.compactMap { $0.index.map(String.init) }))
            d.append("rss", e.rss.map { .int(Int64($0)) } ?? .null)
            d.append("pss", e.pss.map { .int(Int64($0)) } ?? .null)
            return d.json
        }
        let errors = result.errors.map { e -> String in
            var d = Description()
            d.append("pid", e.pid)
            d.append("error", e.message)
            return d.json
        }
        let mapped = totals.mapped.map { "\(JSON.quote($0.key)):{\"mapped\":\($0.value.rows),\"rss\":\($0.value.rss),\"pss\":\($0.value.pss)}" }
        let groups = totals.groups.map { "\(JSON.quote($0.key)):{\"count\":\($0.value.count),\"bytes\":\($0.value.bytes)}" }
        print("{\"via\":\(JSON.quote(result.method)),"
              + "\"buffers\":[\(buffers.joined(separator: ","))],\"errors\":[\(errors.joined(separator: ","))],"
              + "\"totals\":{\"count\":\(totals.count),\"bytes\":\(totals.bytes),\"groups\":{\(groups.joined(separator: ","))},"
              + "\"mapped\":{\(mapped.joined(separator: ","))}}}")
    }

    /// "#0 7f12a000-7f12b000" (its --map-index, its range), "+N" for more; "-" for none.
    static func rangesColumn(_ mappings: [ProcessMapping]) -> String {
        guard let first = mappings.first else { return "-" }
        let text = (first.index.map { "#\($0) " } ?? "") + first.range
        return mappings.count == 1 ? text : "\(text)+\(mappings.count - 1)"
    }
}

/// Sizes per type and per the handler's totals key ("dmabuf exporter=drm").
/// A buffer held by several listed fds counts once.
struct Totals {
    var count = 0
    var bytes = 0
    var groups: [(key: String, value: (count: Int, bytes: Int))] = []
    /// Rss and Pss of mapped buffers, per row (process × buffer) summed:
    /// "all", per type, and per the handler's totals key.
    var mapped: [(key: String, value: (rows: Int, rss: Int, pss: Int))] = []

    init(_ entries: [InventoryEntry]) {
        var mappedOrder: [String] = []
        var mappedSums: [String: (rows: Int, rss: Int, pss: Int)] = [:]
        for e in entries {
            guard let rss = e.rss else { continue }
            var keys = ["all", e.type]
            if let key = e.totalsKey, let value = e.totalsValue { keys.append("\(e.type) \(key)=\(value)") }
            for k in keys {
                if mappedSums[k] == nil { mappedOrder.append(k); mappedSums[k] = (0, 0, 0) }
                mappedSums[k]!.rows += 1
                mappedSums[k]!.rss += rss
                mappedSums[k]!.pss += e.pss ?? 0
            }
        }
        mapped = mappedOrder.map { ($0, mappedSums[$0]!) }
        var seen = Set<FileKey>(minimumCapacity: entries.count)
        var order: [String] = []
        var sums: [String: (count: Int, bytes: Int)] = [:]
        // Rows come in runs of one type: the last key's slot is kept.
        var last: (key: String, index: Dictionary<String, (count: Int, bytes: Int)>.Index)?
        func add(_ key: String, _ size: Int) {
            if let l = last, l.key == key {
                sums.values[l.index].count += 1
                sums.values[l.index].bytes += size
            } else if let i = sums.index(forKey: key) {
                sums.values[i].count += 1
                sums.values[i].bytes += size
                last = (key, i)
            } else {
                order.append(key)
                sums[key] = (1, size)
                last = (key, sums.index(forKey: key)!)
            }
        }
        // Fields read in place (no copy of each entry and its description).
        for i in entries.indices
        where seen.insert(FileKey(device: entries[i].device, inode: entries[i].inode)).inserted {
            let size = entries[i].size
            count += 1
            bytes += size
            add(entries[i].type, size)
            if let key = entries[i].totalsKey, let value = entries[i].totalsValue {
                add("\(entries[i].type) \(key)=\(value)", size)
            }
        }
        groups = order.map { ($0, sums[$0]!) }
    }

    private struct FileKey: Hashable {
        let device: UInt64
        let inode: UInt64
    }
}
