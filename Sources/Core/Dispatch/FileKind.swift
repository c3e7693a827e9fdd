// SPDX-License-Identifier: Apache-2.0
import Glibc

/// A plain-words name for a file no handler took: "pipe", "socket",
/// "regular file /home/u/x", "anon_inode:[eventfd]".
public enum FileKind {
    public static func describe(_ file: AdoptedFile) -> String {
        let link = file.link
        switch file.stat.st_mode & S_IFMT {
        case S_IFIFO: return "pipe"
        case S_IFSOCK: return "socket"
        case S_IFDIR: return "directory \(link)"
        case S_IFBLK: return "block device \(link)"
        case S_IFCHR: return link.hasPrefix("/dev/pts/") || link.hasPrefix("/dev/tty") ? "tty \(link)" : "character device \(link)"
        case S_IFREG: return link.hasPrefix("/") ? "regular file \(link)" : link
        default: return link.isEmpty ? "unknown file type" : link
        }
    }
}
