// SPDX-License-Identifier: Apache-2.0
import CShims
import Glibc
import SystemPackage

/// Access to a buffer that is a file on tmpfs/hugetlbfs (memfd, /dev/shm):
/// mapped shared; reads come from the mapping when the size cannot shrink
/// (F_SEAL_SHRINK), otherwise from pread, which cannot fault however the
/// owner resizes the file and never moves the shared file offset.
public final class FileBufferAccess: BufferAccess {
    public let file: AdoptedFile
    private let mapping: MappedRegion?
    /// True when the size can never go below the mapping (shrink-sealed).
    public let sizeIsPinned: Bool
    public private(set) var notes: [String] = []

    public init(file: AdoptedFile, writable: Bool, sizeIsPinned: Bool) throws(AdoptError) {
        self.file = file
        self.sizeIsPinned = sizeIsPinned
        let length = file.currentSize
        if length > 0 {
            do {
                mapping = try MappedRegion(fd: file.descriptor, length: length, writable: writable)
            } catch {
                throw AdoptError(file, reason: .mapRefused, errno: error,
                                 writable ? "cannot map read-write" : "cannot map")
            }
        } else {
            mapping = nil
        }
        notes.append(mapping.map { "mapped \($0.protectionText), \($0.length) bytes, shared" } ?? "empty: nothing mapped")
        notes.append("reads: " + (sizeIsPinned ? "from the mapping (size sealed against shrinking)"
                                              : "pread (the owner may shrink the file: the mapping is never read past the current end)"))
    }

    public var size: Int { file.currentSize }

    public var mappingInfo: MappingInfo? { mapping?.info }

    /// Only when the size is pinned (F_SEAL_SHRINK): otherwise the owner
    /// could shrink the file while `body` reads, and the read would SIGBUS.
    public func withMappedBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) throws(AdoptError) -> R {
        guard sizeIsPinned else {
            throw AdoptError(file, reason: .other, errno: .notPermitted,
                             "the owner may shrink this file: its mapping is read only through read(into:at:) (seal it with F_SEAL_SHRINK first)")
        }
        return body(mapping.map { UnsafeRawBufferPointer($0.bytes) } ?? UnsafeRawBufferPointer(start: nil, count: 0))
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(AdoptError) -> Int {
        guard buffer.count > 0 else { return 0 }
        if sizeIsPinned, let mapping, offset < mapping.length {
            let n = min(buffer.count, mapping.length - offset)
            buffer.baseAddress!.copyMemory(from: mapping.base + offset, byteCount: n)
            return n
        }
        do {
            var total = 0
            while total < buffer.count {
                let n = try file.descriptor.read(
                    fromAbsoluteOffset: Int64(offset + total),
                    into: UnsafeMutableRawBufferPointer(rebasing: buffer[total...]))
                if n == 0 { break }
                total += n
            }
            return total
        } catch {
            throw AdoptError(file, reason: .other, errno: error as? Errno,
                             "read at offset \(offset) failed")
        }
    }
}

extension FileBufferAccess {
    /// Copies up to `count` bytes at `offset` straight to `destination` in
    /// the kernel (sendfile(2), which splices into a pipe), with the offset
    /// passed explicitly: the file offset the owner shares never moves, and
    /// a file the owner shrank meanwhile gives a short count, never a fault.
    /// Returns the number copied (0 at the end), or nil when the kernel
    /// cannot do it for this destination (EINVAL: O_APPEND, a socket kind
    /// it refuses; ENOSYS, EXDEV): the caller reads and writes instead.
    /// An error writing the destination (EPIPE, ENOSPC) is thrown as an
    /// errno, the bytes not counted.
    public func send(to destination: Int32, at offset: Int, count: Int) throws(Errno) -> Int? {
        while true {
            var position = off_t(offset)
            // One call moves at most 0x7ffff000 bytes.
            let n = sendfile(destination, file.descriptor.rawValue, &position, min(count, 0x7fff_f000))
            if n >= 0 { return n }
            switch Errno.current {
            case .interrupted: continue
            case .invalidArgument, .noFunction, .improperLink, .notSupported: return nil
            case let err: throw err
            }
        }
    }
}

extension FileBufferAccess {
    /// Validates `options` against the fd and its seals, adds F_SEAL_SHRINK
    /// if asked, and maps. Shared by the file-backed handlers (memfd, shm).
    public static func open(_ file: AdoptedFile, options: AccessOptions) throws(AdoptError) -> FileBufferAccess {
        var seals = file.seals ?? []
        if options.writable {
            guard file.isWritable else {
                throw AdoptError(file, reason: .mapRefused, errno: .permissionDenied,
                                 "cannot map read-write: the fd is open read-only (an adopted fd keeps the owner's access mode)")
            }
            guard !seals.forbidsWriting else {
                throw AdoptError(file, reason: .mapRefused, errno: .notPermitted,
                                 "cannot map read-write: sealed against writing (\(seals))")
            }
        }
        if options.sealShrink && !seals.contains(.shrink) {
            guard !seals.contains(.seal) else {
                throw AdoptError(file, reason: .other, errno: .notPermitted,
                                 "cannot add F_SEAL_SHRINK: sealing is not allowed on this file (F_SEAL_SEAL is set)")
            }
            guard rfd_add_seals(file.descriptor.rawValue, Seals.shrink.rawValue) == 0 else {
                let err = Errno.current
                throw AdoptError(file, reason: .other, errno: err,
                                 "cannot add F_SEAL_SHRINK" + (err == .notPermitted ? " (the fd is not writable)" : ""))
            }
            seals.insert(.shrink)
        }
        return try FileBufferAccess(file: file, writable: options.writable, sizeIsPinned: seals.contains(.shrink))
    }
}
