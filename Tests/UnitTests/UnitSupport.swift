// SPDX-License-Identifier: Apache-2.0
import Foundation
import TestSupport
import MemfdPlugin
import RemoteFD
import Testing

// The unit tier starts no process: what its tests adopt is this process's
// own (pidfd_getfd on ourselves passes the same permission check).


/// A memfd of this process holding `bytes` (closed when this goes).
/// Swift's Glibc module does not export memfd_create: glibc's symbol.
final class OwnMemfd {
    let fd: Int32

    init(_ name: String, bytes: [UInt8]) throws {
        typealias MemfdCreate = @convention(c) (UnsafePointer<CChar>, UInt32) -> Int32
        let symbol = try #require(dlsym(nil, "memfd_create"), "glibc without memfd_create")
        fd = unsafeBitCast(symbol, to: MemfdCreate.self)(name, 0x1 /* MFD_CLOEXEC */)
        try #require(fd >= 0, "memfd_create: errno \(errno)")
        try #require(bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == bytes.count)
    }

    deinit { close(fd) }

    /// Adopted back through pidfd, as another process's would be.
    func adopt() throws -> Adoption {
        try Adopter(handlers: HandlerRegistry([MemfdHandler()]), via: .pidfd).adopt(pid: getpid(), fd: fd)
    }
}
