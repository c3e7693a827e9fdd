// SPDX-License-Identifier: Apache-2.0
import Foundation

/// A private temporary directory (short path: Unix socket paths are < 108
/// bytes), removed with this object. Shared by both test tiers.
public final class TempDir {
    public let path: String

    public init(_ label: String, mode: Int = 0o700) throws {
        path = "/tmp/rfd-\(label)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: mode])
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    public func file(_ name: String) -> String { path + "/" + name }
}
