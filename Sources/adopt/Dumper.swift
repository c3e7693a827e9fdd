import RemoteFD
import Glibc

/// `--dump FILE|-`: copies the buffer out through BufferAccess.read (pread
/// for files: the owner's file offset never moves), in page-aligned chunks
/// (a misaligned destination reads 4.5× slower here), with a progress bar
/// when stderr is a terminal.
struct Dumper {
    let access: any BufferAccess
    let adoption: Adoption

    static let chunkSize = 1 << 20

    func dump(to path: String, offset: Int, length: Int?) throws(AdoptError) {
        let file = adoption.file
        let out: Int32 = path == "-" ? STDOUT_FILENO : open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard out >= 0 else {
            throw AdoptError(pid: file.pid, fd: file.fd, reason: .other, errno: .init(rawValue: errno),
                             "cannot create dump file \(path)")
        }
        defer { if out != STDOUT_FILENO { close(out) } }

        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, Int(sysconf(Int32(_SC_PAGESIZE))), Self.chunkSize) == 0, let raw else {
            throw AdoptError(pid: file.pid, fd: file.fd, reason: .other, errno: .noMemory, "cannot allocate the copy buffer")
        }
        defer { free(raw) }
        let buffer = UnsafeMutableRawBufferPointer(start: raw, count: Self.chunkSize)

        let end = length.map { min(access.size, offset + $0) } ?? access.size
        let progress = isatty(STDERR_FILENO) == 1 ? ProgressBar(total: max(0, end - offset)) : nil
        var position = offset
        while position < end {
            let want = min(Self.chunkSize, end - position)
            let n = try access.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<want]), at: position)
            if n == 0 { break }  // the owner shrank it: what is there is copied
            guard writeAll(out, UnsafeRawBufferPointer(rebasing: buffer[..<n])) else {
                throw AdoptError(pid: file.pid, fd: file.fd, reason: .other, errno: .init(rawValue: errno),
                                 "writing the dump to \(path) failed")
            }
            position += n
            progress?.update(position - offset)
        }
        progress?.finish()
        if path != "-" {
            printError("adopt: pid \(file.pid) \(file.label): \(position - offset) bytes of \(adoption.type) written to \(path)")
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
        let filled = percent * 40 / 100
        let bar = String(repeating: "#", count: filled) + String(repeating: " ", count: 40 - filled)
        fputs("\r[\(bar)] \(percent)% \(done / 1_048_576)/\(total / 1_048_576) MiB", stderr)
    }

    func finish() { fputs("\n", stderr) }
}
