// SPDX-License-Identifier: Apache-2.0
import Glibc
import RemoteFD
import SystemPackage

/// `--dump-dir DIR`: the directory that files under names adopt makes up
/// (PID-fdN.TYPE) are created in. DIR is opened once; each file is created
/// relative to that fd with O_CREAT|O_EXCL|O_NOFOLLOW, so a name already
/// there — a symlink or hard link someone who can write DIR planted to
/// another file — is never opened, let alone written through (adopt may be
/// root, DIR's writer not). Such a name is left untouched and said so on
/// stderr; the dump goes to NAME.1, NAME.2, … instead.
final class DumpDirectory {
    let path: String
    private let fd: Int32

    /// NAME, then NAME.1 … NAME.99: enough for a few leftovers of earlier
    /// runs, bounded against a directory filled with planted names.
    static let maxTries = 100

    /// Opens DIR (a path the user gave: followed like any path they name).
    init(_ path: String, pid: pid_t?) throws(AdoptError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else {
            throw AdoptError(pid: pid, fd: nil, reason: .other, errno: .init(rawValue: errno),
                             "cannot open the dump directory \(path)")
        }
        self.path = path
        self.fd = fd
    }

    deinit { close(fd) }

    /// A new file for `file`'s dump, at `name` or the first NAME.K free;
    /// returns its fd (the caller closes it) and its path.
    func create(_ name: String, for file: AdoptedFile) throws(AdoptError) -> (fd: Int32, path: String) {
        for attempt in 0..<Self.maxTries {
            let candidate = attempt == 0 ? name : "\(name).\(attempt)"
            let out = openat(fd, candidate, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
            if out >= 0 { return (out, "\(path)/\(candidate)") }
            let err = Errno(rawValue: errno)
            guard err == .fileExists else {
                throw file.error(err, "cannot create dump file \(path)/\(candidate)")
            }
            printError("adopt: \(file.source): \(path)/\(candidate) already exists (\(err.symbolicName)): left untouched, trying another name")
        }
        throw file.error(.fileExists, "no free name for the dump: \(path)/\(name) and \(name).1 to \(name).\(Self.maxTries - 1) all exist")
    }
}
