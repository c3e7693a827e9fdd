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
        FollowRounds(owner: target).run(every: seconds, count: count) { round in
            let bytes: [UInt8]
            do {
                bytes = try access.bytes(at: offset, length: length)
            } catch {
                printError("adopt: \(error)")
                return false
            }
            let sum = checksum(bytes)
            let changed = previous.map { $0 != sum } ?? false
            previous = sum
            if json {
                var d = Description()
                d.append("tick", round.tick)
                d.append("owner_alive", round.alive)
                d.append("size", access.size)
                d.append("changed", changed)
                d.append("text", leadingText(bytes))
                print(d.json)
            } else {
                round.sayIfGone()
                print("[\(round.tick)] \(round.state) \(changed ? "changed  " : "unchanged") \"\(leadingText(bytes))\"")
            }
            return true
        }
    }
}

/// The rounds of `--follow` (the hex preview, frames as PNG, the picture):
/// every `seconds`, `count` times or until interrupted, none before the
/// first. Each round learns whether the owner still runs (nil owner: a
/// resource taken by id, always "held"); its exit is said once, in the
/// first round after it that printed.
struct FollowRounds {
    let owner: TargetProcess?

    struct Round {
        let tick: Int
        let alive: Bool
        let owner: TargetProcess?
        /// The owner has gone and no round has said so yet.
        let goneUnsaid: Bool

        /// "owner alive", "owner gone " or "held       " (one width).
        var state: String { owner == nil ? "held       " : alive ? "owner alive" : "owner gone " }

        /// The line saying the owner has gone, when it is this round's to say.
        func sayIfGone() {
            if goneUnsaid, let owner { print("owner pid \(owner.pid) has exited; the buffer is still held here") }
        }
    }

    /// `body` returns whether the round printed (false: it failed and said
    /// why; the owner's exit is then left for the next round to say).
    func run(every seconds: Double, count: Int?, _ body: (Round) -> Bool) {
        var tick = 0
        var goneSaid = false
        while count.map({ tick < $0 }) ?? true {
            if tick > 0 { sleepSeconds(seconds) }
            tick += 1
            let alive = owner?.isAlive ?? true
            if body(Round(tick: tick, alive: alive, owner: owner, goneUnsaid: !alive && !goneSaid)) && !alive {
                goneSaid = true
            }
            fflush(nil)
        }
    }
}
