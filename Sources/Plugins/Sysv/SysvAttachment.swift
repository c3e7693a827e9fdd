// SPDX-License-Identifier: Apache-2.0
import Glibc
import RemoteFD
import SystemPackage

/// A segment mapped here. A segment's size is fixed at shmget, so reads
/// of the mapping never fault: they are plain copies (and `withMappedBytes`
/// is always allowed). Two ways in:
///
/// - by id (shmat): the kernel's IPC permission check decides, and while
///   this object lives the segment is attached, so one marked for
///   destruction (IPC_RMID) outlives its other users;
/// - by the file someone took (the module's GETMAP hands out the mapping's
///   own file, whose shm file operations have no read or splice: mmap is
///   the only way to its bytes, whichever way the file came).
public final class SysvAttachment: BufferAccess {
    public let size: Int
    public let writable: Bool
    public private(set) var notes: [String] = []
    private let base: UnsafeMutableRawPointer
    /// The mmap of a taken file; nil when attached by id.
    private let region: MappedRegion?

    /// Attaches `shmid` read-only (SHM_RDONLY), or read-write. Errors name
    /// `pid` and `origin`.
    public init(shmid: Int32, size: Int, writable: Bool, pid: pid_t?, origin: BufferOrigin) throws(AdoptError) {
        guard let address = shmat(shmid, nil, writable ? 0 : SHM_RDONLY), address != UnsafeMutableRawPointer(bitPattern: -1) else {
            let err = Errno.current
            let why: String
            switch err {
            case .permissionDenied: why = writable ? "the segment's mode does not let us write it (try without --writable)" : "the segment's mode does not let us read it"
            case .invalidArgument, .noSuchFileOrDirectory: why = "no such segment (removed?)"
            default: why = "shmat failed"
            }
            throw AdoptError(pid: pid, origin: origin, reason: err == .permissionDenied ? .permissionDenied : .mapRefused,
                             errno: err, "cannot attach: \(why)")
        }
        self.size = size
        self.writable = writable
        base = address
        region = nil
        notes.append("attached \(writable ? "read-write" : "read-only (SHM_RDONLY)"), \(size) bytes, shared")
        notes.append("reads: from the attachment (a segment's size is fixed)")
    }

    /// Maps the file `file` holds, read-only unless `writable` (which the
    /// fd must allow).
    public init(mapping file: AdoptedFile, writable: Bool) throws(AdoptError) {
        if writable && !file.isWritable {
            throw AdoptError(file, reason: .mapRefused, errno: .permissionDenied,
                             "cannot map read-write: the fd is open read-only")
        }
        let size = file.currentSize
        guard size > 0 else {
            throw AdoptError(file, reason: .mapRefused, errno: .invalidArgument, "the segment has no size")
        }
        do {
            region = try MappedRegion(fd: file.descriptor, length: size, writable: writable)
        } catch {
            throw AdoptError(file, reason: .mapRefused, errno: error, writable ? "cannot map read-write" : "cannot map")
        }
        self.size = size
        self.writable = writable
        base = region!.base
        notes.append("mapped \(region!.protectionText), \(size) bytes, shared")
        notes.append("reads: from the mapping (a segment's size is fixed)")
    }

    deinit {
        if region == nil { shmdt(base) }
    }

    public var mappingInfo: MappingInfo? { MappingInfo(length: size, writable: writable) }

    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(AdoptError) -> Int {
        guard offset >= 0, offset < size, buffer.count > 0 else { return 0 }
        let n = min(buffer.count, size - offset)
        buffer.baseAddress!.copyMemory(from: base + offset, byteCount: n)
        return n
    }

    public func withMappedBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) throws(AdoptError) -> R {
        body(UnsafeRawBufferPointer(start: base, count: size))
    }
}
