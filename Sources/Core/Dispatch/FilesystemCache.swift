import CShims
import SystemPackage

/// statfs facts (f_type, f_bsize) by device: they belong to the
/// filesystem, so a caller looking at many files (`adopt list`) asks the
/// kernel once per st_dev instead of once per fd.
public final class FilesystemCache {
    private var known: [UInt64: (magic: UInt, blockSize: Int)] = [:]

    public init() {}

    /// The facts of the filesystem of `fd`, whose st_dev is `device`.
    func facts(of fd: Int32, device: UInt64) throws(Errno) -> (magic: UInt, blockSize: Int) {
        if let facts = known[device] { return facts }
        var magic: UInt = 0
        var blockSize = 0
        _ = try syscallValue { rfd_fstatfs(fd, &magic, &blockSize) }
        known[device] = (magic, blockSize)
        return (magic, blockSize)
    }
}
