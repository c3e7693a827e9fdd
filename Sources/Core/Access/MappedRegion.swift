// SPDX-License-Identifier: Apache-2.0
import Glibc
import SystemPackage

/// An mmap(2) of an adopted fd, unmapped when this object goes. For
/// `BufferAccess` implementations: callers outside them get `MappingInfo`
/// and `withMappedBytes`, never the pointer.
public final class MappedRegion {
    public let base: UnsafeMutableRawPointer
    public let length: Int
    public let writable: Bool

    /// Maps `length` bytes of `fd` shared, read-only unless `writable`.
    public init(fd: FileDescriptor, length: Int, writable: Bool) throws(Errno) {
        let prot = writable ? (PROT_READ | PROT_WRITE) : PROT_READ
        let p = mmap(nil, length, prot, MAP_SHARED, fd.rawValue, 0)
        guard let p, p != MAP_FAILED else { throw Errno.current }
        self.base = p
        self.length = length
        self.writable = writable
    }

    deinit { munmap(base, length) }

    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: length) }

    public var info: MappingInfo { MappingInfo(length: length, writable: writable) }

    public var protectionText: String { info.protectionText }
}
