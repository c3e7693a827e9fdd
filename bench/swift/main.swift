// SPDX-License-Identifier: Apache-2.0
// adopt-bench: the library rows of bench/run.sh, timed in-process exactly
// like bench/c/cbench.c times the C baselines (same argument order, same
// warm-up, median of batches, one number printed).
//
//   adopt-bench MODE PID FIRST_FD LAST_FD [ITERS] [BATCHES]
//
//   adopt-fresh   Adopter(via: .pidfd).adopt(pid:fd:) and drop it
//   adopt-kept    Adopter(via: .pidfd).adopt(fd:of:) with one TargetProcess
//   adopt-procfs  Adopter(via: .procfs).adopt(pid:fd:)
//   map-fresh     adopt-kept + open() (mmap of the whole buffer) + drop (fd FIRST)
//   map-read      adopt + open(sealShrink) + copy the whole mapping out in 1 MiB chunks (MB/s)
//   list          Inventory.scan of PID without sharers, ns per fd listed
import RemoteFD
import Glibc
import MemfdPlugin
import ShmPlugin

/// One line on stderr (Swift 6 refuses the C `stderr` global: shared mutable state).
func printError(_ message: String) {
    var line = message + "\n"
    line.withUTF8 { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
}

let args = CommandLine.arguments
guard args.count >= 5, let pid = Int32(args[2]), let first = Int32(args[3]), let last = Int32(args[4]) else {
    printError("usage: adopt-bench MODE PID FIRST_FD LAST_FD [ITERS] [BATCHES]")
    exit(2)
}
let mode = args[1]
let iters = args.count > 5 ? Int(args[5])! : 2000
let batches = args.count > 6 ? Int(args[6])! : 5
let handlers = HandlerRegistry([MemfdHandler(), ShmHandler()])
var current = first

// The top-level state belongs to the main actor; so do the functions using it.
@MainActor
func nextFD() -> Int32 {
    let fd = current
    current = current >= last ? first : current + 1
    return fd
}

func nowNS() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) * 1e9 + Double(t.tv_nsec)
}

func die(_ message: String) -> Never {
    printError("adopt-bench: \(message)")
    exit(1)
}

let pidfdAdopter = Adopter(handlers: handlers, via: .pidfd)
let procfsAdopter = Adopter(handlers: handlers, via: .procfs)
let target: TargetProcess
do { target = try TargetProcess(pid: pid) } catch { die("\(error)") }
let chunk = UnsafeMutableRawPointer.allocate(byteCount: 1 << 20, alignment: 4096)
chunk.initializeMemory(as: UInt8.self, repeating: 0, count: 1 << 20)
var bigSize = 0

@inline(never) @MainActor
func op() {
    do {
        switch mode {
        case "adopt-fresh":
            _ = try pidfdAdopter.adopt(pid: pid, fd: nextFD())
        case "adopt-kept":
            _ = try pidfdAdopter.adopt(fd: nextFD(), of: target)
        case "adopt-procfs":
            _ = try procfsAdopter.adopt(pid: pid, fd: nextFD())
        case "map-fresh":
            let adoption = try pidfdAdopter.adopt(fd: first, of: target)
            _ = try adoption.open()
        case "map-read":
            let adoption = try pidfdAdopter.adopt(fd: first, of: target)
            // F_SEAL_SHRINK (on the holder's memfd, once): the mapping is
            // then lent out for direct reads, as the C row reads it.
            let access = try adoption.open(AccessOptions(sealShrink: true))
            bigSize = try access.withMappedBytes { mapping -> Int in
                var offset = 0
                while offset < mapping.count {
                    let n = min(1 << 20, mapping.count - offset)
                    chunk.copyMemory(from: mapping.baseAddress! + offset, byteCount: n)
                    offset += n
                }
                return mapping.count
            }
            if bigSize == 0 { die("nothing mapped") }
        case "list":
            let inventory = Inventory(handlers: handlers, backend: PidfdBackend())
            let result = inventory.scan(pids: [pid], findSharers: false)
            if result.entries.isEmpty { die("nothing listed: \(result.errors)") }
        default:
            die("unknown mode \(mode)")
        }
    } catch {
        die("\(error)")
    }
}

let copy = mode == "map-read"
let perOp = mode == "list" ? Double(last - first + 1) : 1
for _ in 0..<(copy || mode == "list" ? 1 : iters / 10 + 1) { op() }
var times: [Double] = []
for _ in 0..<batches {
    let t0 = nowNS()
    for _ in 0..<iters { op() }
    times.append((nowNS() - t0) / Double(iters) / perOp)
}
times.sort()
let median = times[batches / 2]
print(((copy ? Double(bigSize) / median * 1e3 : median) * 10).rounded() / 10)
