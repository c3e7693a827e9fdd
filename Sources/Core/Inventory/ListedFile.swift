// SPDX-License-Identifier: Apache-2.0
import CShims
import Glibc

/// One fd as `adopt list` sees it before any object is made for it: the
/// owner's fd number, what fstat and statfs said, the link text and the
/// seals; from our descriptor of the adopted file (open only during the
/// call the file is passed to, the link read on first use into the scan's
/// one reusable buffer), or from the record the remotefd module's
/// inventory wrote (no descriptor: -1). A handler's
/// `ResourceListing.listRow` answers from it, so that a table row of
/// 10 000 needs no `AdoptedFile`, link String or description each (a
/// tenth of a listing's time). Valid only during that call: do not keep
/// it, its descriptor or the bytes `withLink` lends.
public struct ListedFile {
    /// The owner; nil for a resource no process holds.
    public let pid: pid_t?
    /// How the owner holds it: an fd (the fast path's files always), a mapping.
    public let origin: BufferOrigin
    /// Our descriptor for the file; -1 when the module described it.
    public let descriptor: Int32
    public let stat: stat
    /// statfs f_type and f_bsize.
    public let filesystemMagic: UInt
    public let filesystemBlockSize: Int
    private let source: Source

    private enum Source {
        case adopted(ListingLinks)
        case record(UnsafePointer<remotefd_fd_record>)
        case file(AdoptedFile)
    }

    /// The `AdoptedFile`, when the listing made one (after a `.needsFile`,
    /// or for a buffer held by a mapping only); nil on the fast path.
    public var adopted: AdoptedFile? {
        if case .file(let file) = source { return file }
        return nil
    }

    /// An adopted file, facts read.
    init(pid: pid_t, fd: Int32, descriptor: Int32, stat: stat, filesystemMagic: UInt, filesystemBlockSize: Int,
         links: ListingLinks) {
        self.pid = pid
        self.origin = .fd(fd)
        self.descriptor = descriptor
        self.stat = stat
        self.filesystemMagic = filesystemMagic
        self.filesystemBlockSize = filesystemBlockSize
        source = .adopted(links)
        links.nextFile()
    }

    /// A file of the module's inventory (the record stays in the reader's
    /// buffer for the call).
    init(pid: pid_t, record: UnsafePointer<remotefd_fd_record>) {
        self.pid = pid
        origin = .fd(record.pointee.fd)
        descriptor = -1
        stat = ModuleFileRecord.stat(of: record.pointee)
        filesystemMagic = UInt(record.pointee.fs_magic)
        filesystemBlockSize = Int(record.pointee.fs_bsize)
        source = .record(record)
    }

    /// An `AdoptedFile`, seen as a listing row (`adopted` is set).
    public init(_ file: AdoptedFile) {
        pid = file.pid
        origin = file.origin
        descriptor = file.descriptor.rawValue
        stat = file.stat
        filesystemMagic = file.filesystemMagic
        filesystemBlockSize = file.filesystemBlockSize
        source = .file(file)
    }

    public var isRegularFile: Bool { stat.st_mode & S_IFMT == S_IFREG }
    public var device: UInt64 { UInt64(stat.st_dev) }
    public var inode: UInt64 { UInt64(stat.st_ino) }

    /// The link of /proc/PID/fd/N as UTF-8 bytes ("/memfd:cam0 (deleted)");
    /// empty when it cannot be read. Read once per file, whoever asks.
    public func withLink<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        switch source {
        case .adopted(let links):
            return links.withLink(of: descriptor, body)
        case .record(let record):
            return ModuleFileRecord.withName(of: record, body)
        case .file(let file):
            var link = file.link
            return link.withUTF8(body)
        }
    }

    /// memfd seals, nil where the file cannot have seals.
    public var seals: Seals? {
        switch source {
        case .adopted:
            let raw = rfd_get_seals(descriptor)
            return raw < 0 ? nil : Seals(rawValue: raw)
        case .record(let record):
            return ModuleFileRecord.seals(of: record.pointee).map { Seals(rawValue: $0) }
        case .file(let file):
            return file.seals
        }
    }
}

/// A handler's answer for a `ListedFile`.
public enum ListedRow {
    /// `probe` would refuse the file: ask the next handler.
    case notMine
    /// `probe` would accept it, and these are its columns.
    case row(ListColumns)
    /// Deciding needs what only an `AdoptedFile` gives (fdinfo, a
    /// description): the listing makes one and probes as usual.
    case needsFile
}

/// The link buffer of one listing scan: the link of the file being looked
/// at (the `ListedFile` made last), read through `OwnFDLinks` once and
/// lent to every handler asking.
final class ListingLinks {
    let reader = OwnFDLinks()
    private let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: Int(PATH_MAX) + 1)
    /// Bytes of `buffer` holding the current file's link; nil: not read yet.
    private var length: Int?

    deinit { buffer.deallocate() }

    /// A new file is looked at (fd numbers are reused from one to the next).
    func nextFile() { length = nil }

    func withLink<R>(of descriptor: Int32, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        let length = self.length ?? max(reader.read(of: descriptor, into: buffer), 0)
        self.length = length
        return body(UnsafeBufferPointer(rebasing: buffer[..<length]))
    }
}
