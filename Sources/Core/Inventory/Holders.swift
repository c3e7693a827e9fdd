// SPDX-License-Identifier: Apache-2.0
import Glibc

/// Which processes hold each listed buffer (by fd or by mapping), for the
/// SHARED-WITH column: the listed entries' own processes, and those the
/// sharer scan finds. Most buffers have one holder, so only a buffer held
/// by several processes gets an array.
struct Holders {
    private var first: [Inventory.FileID: pid_t] = [:]
    private var more: [Inventory.FileID: [pid_t]] = [:]

    init(_ entries: [InventoryEntry]) {
        first.reserveCapacity(entries.count)
        for i in entries.indices {
            guard let pid = entries[i].pid else { continue }
            let id = Inventory.FileID(device: entries[i].device, inode: entries[i].inode)
            // One hash for the usual new buffer; a second one only for a repeat.
            if let holder = first.updateValue(pid, forKey: id) {
                first[id] = holder
                add(pid, ifListed: id)
            }
        }
    }

    /// Whether any buffer has a second holder: if none has, every
    /// SHARED-WITH is empty and the entries need not be asked one by one.
    var anyShared: Bool { !more.isEmpty }

    /// Records that `pid` holds `id`, if `id` is a listed buffer; whether it is.
    @discardableResult
    mutating func add(_ pid: pid_t, ifListed id: Inventory.FileID) -> Bool {
        guard let holder = first[id] else { return false }
        if holder != pid && !(more[id]?.contains(pid) ?? false) { more[id, default: []].append(pid) }
        return true
    }

    /// The holders of `id` other than `pid`, sorted.
    func others(of pid: pid_t, _ id: Inventory.FileID) -> [pid_t] {
        guard let holder = first[id] else { return [] }
        guard let extra = more[id] else { return holder == pid ? [] : [holder] }
        return (extra + [holder]).filter { $0 != pid }.sorted()
    }
}
