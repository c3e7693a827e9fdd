// SPDX-License-Identifier: Apache-2.0
import Glibc
import RemoteFD
import SystemPackage

/// A segment attached here by id (shmat): the kernel's IPC permission
/// check decides, and while this object lives the segment is attached, so
/// one marked for destruction (IPC_RMID) outlives its other users. A
/// segment's size is fixed at shmget, so reads of the attachment never
/// fault: they are plain copies.
public final class SysvAttachment: BufferAccess {
    public let shmid: Int32
    public let size: Int
    private let base: UnsafeMutableRawPointer
    public let writable: Bool
    public private(set) var notes: [String] = []

    /// Attaches `shmid` read-only (SHM_RDONLY), or read-write. Errors are
    /// about `file`.
    public init(_ file: AdoptedFile, shmid: Int32, size: Int, writable: Bool) throws(AdoptError) {
        guard let address = shmat(shmid, nil, writable ? 0 : SHM_RDONLY), address != UnsafeMutableRawPointer(bitPattern: -1) else {
            let err = Errno.current
            let why: String
            switch err {
            case .permissionDenied: why = writable ? "the segment's mode does not let us write it (try without --writable)" : "the segment's mode does not let us read it"
            case .invalidArgument, .noSuchFileOrDirectory: why = "no such segment (removed?)"
            default: why = "shmat failed"
            }
            throw AdoptError(file, reason: err == .permissionDenied ? .permissionDenied : .mapRefused, errno: err,
                             "cannot attach: \(why)")
        }
        self.shmid = shmid
        self.size = size
        self.base = address
        self.writable = writable
        notes.append("attached \(writable ? "read-write" : "read-only (SHM_RDONLY)"), \(size) bytes, shared")
        notes.append("reads: from the attachment (a segment's size is fixed)")
    }

    deinit { shmdt(base) }

    public var mappingInfo: MappingInfo? { size > 0 ? MappingInfo(length: size, writable: writable) : nil }

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
