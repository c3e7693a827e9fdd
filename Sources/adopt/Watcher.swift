// SPDX-License-Identifier: Apache-2.0
import RemoteFD
import Glibc

/// `--watch`: holds the adopted buffer and prints its leading text (or
/// bytes) periodically; says when the owner has gone and keeps going.
struct Watcher {
    let access: any BufferAccess
    let adoption: Adoption
    /// The owner, whose exit is reported; nil for a resource taken by id.
    let target: TargetProcess?
    let offset: Int
    let length: Int
    let json: Bool

    func run(every seconds: Double, count: Int?) {
        let file = adoption.file
        if !json {
            print("watching \(file.source): \(adoption.type) \(adoption.describe()["name"]?.text ?? ""), \(access.size) bytes, via \(file.backendName)")
        }
        var previous: UInt64?
        var ownerReported = false
        var tick = 0
        while count.map({ tick < $0 }) ?? true {
            if tick > 0 { sleepSeconds(seconds) }
            tick += 1
            let alive = target?.isAlive ?? true
            let bytes: [UInt8]
            do {
                bytes = try access.bytes(at: offset, length: length)
            } catch {
                printError("adopt: \(error)")
                continue
            }
            let sum = checksum(bytes)
            let changed = previous.map { $0 != sum } ?? false
            previous = sum
            if json {
                var d = Description()
                d.append("tick", tick)
                d.append("owner_alive", alive)
                d.append("size", access.size)
                d.append("changed", changed)
                d.append("text", leadingText(bytes))
                print(d.json)
            } else {
                if !alive && !ownerReported, let target {
                    print("owner pid \(target.pid) has exited; the buffer is still held here")
                }
                let state = target == nil ? "held       " : alive ? "owner alive" : "owner gone "
                print("[\(tick)] \(state) \(changed ? "changed  " : "unchanged") \"\(leadingText(bytes))\"")
            }
            if !alive { ownerReported = true }
            fflush(nil)
        }
    }
}
