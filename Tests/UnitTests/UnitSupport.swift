// SPDX-License-Identifier: Apache-2.0
import Foundation
import MemfdPlugin
import RemoteFD
import Testing

// The unit tier starts no process: what its tests adopt is this process's
// own (pidfd_getfd on ourselves passes the same permission check).

/// A private temporary directory (short path: Unix socket paths are < 108
/// bytes). The same as AdoptTests' (a test target cannot import another).
final class TempDir {
    let path: String

    init(_ label: String, mode: Int = 0o700) throws {
        path = "/tmp/rfd-\(label)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: mode])
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { path + "/" + name }
}

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
