// SPDX-License-Identifier: Apache-2.0
import CShims
import SystemPackage

/// statfs facts (f_type, f_bsize) by device: they belong to the
/// filesystem, so a caller looking at many files (`adopt list`) asks the
/// kernel once per st_dev instead of once per fd.
final class FilesystemCache {
    private var known: [UInt64: (magic: UInt, blockSize: Int)] = [:]
    /// The device asked last, and its facts: fds come in runs of one
    /// filesystem, and this skips the dictionary's hashing.
    private var last: (device: UInt64, magic: UInt, blockSize: Int)?

    init() {}

    /// The facts of the filesystem of `fd`, whose st_dev is `device`.
    func facts(of fd: Int32, device: UInt64) throws(Errno) -> (magic: UInt, blockSize: Int) {
        if let last, last.device == device { return (last.magic, last.blockSize) }
        var facts: (magic: UInt, blockSize: Int)
        if let known = known[device] {
            facts = known
        } else {
            facts = (0, 0)
            _ = try syscallValue { rfd_fstatfs(fd, &facts.magic, &facts.blockSize) }
            known[device] = facts
        }
        last = (device, facts.magic, facts.blockSize)
        return facts
    }
}
