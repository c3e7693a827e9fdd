// SPDX-License-Identifier: Apache-2.0
import RemoteFD
import Glibc

/// `--dump FILE|-`: copies the buffer out without moving the owner's file
/// offset. memfd and shm (FileBufferAccess): sendfile(2) with an explicit
/// offset, in the kernel — into a pipe it splices the pages, to a file it
/// copies once, to /dev/null nothing at all; where the kernel refuses the
/// destination (O_APPEND, …), a pread loop. Anything else (dma-buf: its
/// SYNC-bracketed mapping): `BufferAccess.read` in page-aligned chunks
/// (a misaligned destination reads 4.5× slower here). A progress bar when
/// stderr is a terminal.
struct Dumper {
    let access: any BufferAccess
    let adoption: Adoption

    /// The pread loop's chunk: 128 KiB stays in the L2 cache between the
    /// read and the write (1 MiB chunks made a pipe 1.4× slower than cat).
    static let chunkSize = 128 << 10
    /// dma-buf: one DMA_BUF_IOCTL_SYNC bracket per chunk. Kept at 1 MiB,
    /// not measured (no exporter on the development host; bracket cost
    /// against cache locality is for a machine with one to decide).
    static let deviceChunkSize = 1 << 20
    /// sendfile per call when a progress bar is shown (else as large as the
    /// kernel takes).
    static let progressStep = 16 << 20

    /// `--dump FILE`: the name the user chose, created or truncated as they
    /// asked (names adopt makes up go through `DumpDirectory` instead).
    func dump(to path: String, offset: Int, length: Int?) throws(AdoptError) {
        let file = adoption.file
        if path == "-" { return try dump(into: STDOUT_FILENO, named: path, offset: offset, length: length) }
        let out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard out >= 0 else {
            throw file.error(.init(rawValue: errno), "cannot create dump file \(path)")
        }
        defer { close(out) }
        try dump(into: out, named: path, offset: offset, length: length)
    }

    /// Copies the buffer into `out`, an open file (or "-": stdout) called `path` in messages.
    func dump(into out: Int32, named path: String, offset: Int, length: Int?) throws(AdoptError) {
        let file = adoption.file
        let end = length.map { min(access.size, offset + $0) } ?? access.size
        let progress = isatty(STDERR_FILENO) == 1 ? ProgressBar(total: max(0, end - offset)) : nil
        var position = offset
        if let fileAccess = access as? FileBufferAccess {
            Verbose.logger.info("dump: \(end - offset) bytes from offset \(offset) with sendfile (explicit offset: the owner's stays where it is)")
            let step = progress == nil ? Int.max : Self.progressStep
            while position < end {
                let sent: Int?
                do {
                    sent = try fileAccess.send(to: out, at: position, count: min(step, end - position))
                } catch {
                    throw file.error(error, "writing the dump to \(path) failed")
                }
                guard let sent else {  // not to this destination: the loop below
                    Verbose.logger.info("dump: the kernel cannot sendfile to \(path) (EINVAL: O_APPEND or a destination it refuses): pread loop in \(Self.chunkSize >> 10) KiB chunks from offset \(position)")
                    break
                }
                if sent == 0 { position = end; break }  // the owner shrank it
                position += sent
                progress?.update(position - offset)
            }
        }
        if position < end {
            if !(access is FileBufferAccess) {
                Verbose.logger.info("dump: \(adoption.type): reads through its mapping in \(Self.deviceChunkSize >> 20) MiB chunks")
            }
            try copyByReading(to: out, path: path, from: &position, end: end, offset: offset, progress: progress,
                              chunkSize: access is FileBufferAccess ? Self.chunkSize : Self.deviceChunkSize)
        }
        progress?.finish()
        if path != "-" {
            printError("adopt: \(file.source): \(position - offset) bytes of \(adoption.type) written to \(path)")
        }
    }

    private func copyByReading(to out: Int32, path: String, from position: inout Int, end: Int, offset: Int,
                               progress: ProgressBar?, chunkSize: Int) throws(AdoptError) {
        let file = adoption.file
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, Int(sysconf(Int32(_SC_PAGESIZE))), chunkSize) == 0, let raw else {
            throw file.error(.noMemory, "cannot allocate the copy buffer")
        }
        defer { free(raw) }
        let buffer = UnsafeMutableRawBufferPointer(start: raw, count: chunkSize)
        while position < end {
            let want = min(chunkSize, end - position)
            let n = try access.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<want]), at: position)
            if n == 0 { break }  // the owner shrank it: what is there is copied
            guard writeAll(out, UnsafeRawBufferPointer(rebasing: buffer[..<n])) else {
                throw file.error(.init(rawValue: errno), "writing the dump to \(path) failed")
            }
            position += n
            progress?.update(position - offset)
        }
    }
}

/// A one-line progress bar on stderr.
final class ProgressBar {
    let total: Int
    private var lastPercent = -1

    init(total: Int) { self.total = total }

    func update(_ done: Int) {
        let percent = total == 0 ? 100 : done * 100 / total
        guard percent != lastPercent else { return }
        lastPercent = percent
        writeError("\r" + Self.line(done: done, total: total))
    }

    func finish() { writeError("\n") }

    /// "[####    ] 50% 8/16 KiB": both counts in the largest unit (B, KiB,
    /// MiB, GiB) that still gives the total two digits, so that a 16 KiB
    /// dump does not read "0/0 MiB".
    static func line(done: Int, total: Int) -> String {
        let percent = total == 0 ? 100 : done * 100 / total
        let filled = percent * 40 / 100
        let bar = String(repeating: "#", count: filled) + String(repeating: " ", count: 40 - filled)
        let units = ["B", "KiB", "MiB", "GiB"]
        var shift = 0
        while shift < 30 && total >> (shift + 10) >= 10 { shift += 10 }
        return "[\(bar)] \(percent)% \(done >> shift)/\(total >> shift) \(units[shift / 10])"
    }
}
