// SPDX-License-Identifier: Apache-2.0
import Glibc

/// One System V shared memory segment as /proc/sysvipc/shm describes it
/// (the IPC namespace of the reader: a process in another namespace sees
/// other segments).
public struct SysvSegment: Sendable, Equatable {
    /// The key given to shmget; 0 (IPC_PRIVATE) for a private segment, and
    /// for every segment once it is marked for destruction.
    public var key: Int32
    public var shmid: Int32
    /// The mode: permission bits, SHM_DEST (marked for destruction),
    /// SHM_LOCKED.
    public var mode: UInt32
    public var size: Int
    /// Creator pid, and the pid of the last shmat/shmdt.
    public var creatorPID: pid_t
    public var lastPID: pid_t
    /// How many mappings are attached.
    public var attachments: Int
    public var uid: uid_t
    public var gid: gid_t
    public var creatorUID: uid_t
    public var creatorGID: gid_t
    /// Last attach, last detach, last change: seconds since the epoch (0: never).
    public var attachTime: Int
    public var detachTime: Int
    public var changeTime: Int
    /// Resident and swapped bytes.
    public var rss: Int
    public var swap: Int

    /// SHM_DEST: IPC_RMID was asked; it goes with its last attachment.
    public var isMarkedForDestruction: Bool { mode & 0o1000 != 0 }
    public var permissions: UInt32 { mode & 0o777 }

    /// The key as shm files are named: "SYSV%08x".
    public static func fileName(key: Int32) -> String {
        let hex = String(UInt32(bitPattern: key), radix: 16)
        return "SYSV" + String(repeating: "0", count: max(0, 8 - hex.count)) + hex
    }

    /// "0x0000abcd".
    public static func keyText(_ key: Int32) -> String {
        "0x" + fileName(key: key).dropFirst(4)
    }

    /// Whether a process with `uid` and `gid` (primary group only) may
    /// attach it: read access for SHM_RDONLY, write too for `writable`,
    /// as the kernel's ipcperms decides (root is let through; a
    /// supplementary group or CAP_IPC_OWNER is not counted, so this can
    /// refuse what the kernel would allow, never the reverse).
    public func allows(uid: uid_t, gid: gid_t, writable: Bool = false) -> Bool {
        if uid == 0 { return true }
        let shift: UInt32 = uid == self.uid || uid == creatorUID ? 6 : gid == self.gid || gid == creatorGID ? 3 : 0
        let wanted: UInt32 = writable ? 0o6 : 0o4
        return (permissions >> shift) & wanted == wanted
    }
}

/// Reads /proc/sysvipc/shm.
public enum SysvSegments {
    public static let table = "/proc/sysvipc/shm"

    /// Every segment in our IPC namespace; nil when the table cannot be
    /// read (no CONFIG_SYSVIPC, no /proc).
    public static func all() -> [SysvSegment]? {
        guard let file = fopen(table, "r") else { return nil }
        defer { fclose(file) }
        var segments: [SysvSegment] = []
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(line) }
        var first = true
        while getline(&line, &capacity, file) > 0 {
            if first { first = false; continue }  // the header
            if let segment = parse(String(cString: line!)) { segments.append(segment) }
        }
        return segments
    }

    /// The segment `shmid`, nil when there is none (or the table cannot be read).
    public static func segment(_ shmid: Int32) -> SysvSegment? {
        all()?.first { $0.shmid == shmid }
    }

    /// One line: key shmid perms size cpid lpid nattch uid gid cuid cgid
    /// atime dtime ctime rss swap (decimal, perms octal).
    static func parse(_ line: String) -> SysvSegment? {
        let w = line.split(separator: " ", omittingEmptySubsequences: true)
        guard w.count >= 16, let key = Int64(w[0]), let shmid = Int32(w[1]), let mode = UInt32(w[2], radix: 8),
              let size = Int(w[3]), let cpid = pid_t(w[4]), let lpid = pid_t(w[5]), let nattch = Int(w[6]),
              let uid = uid_t(w[7]), let gid = gid_t(w[8]), let cuid = uid_t(w[9]), let cgid = gid_t(w[10]),
              let atime = Int(w[11]), let dtime = Int(w[12]), let ctime = Int(w[13]),
              let rss = Int(w[14]), let swap = Int(w[15].trimmingCharacters(in: [" ", "\n"]))
        else { return nil }
        return SysvSegment(key: Int32(truncatingIfNeeded: key), shmid: shmid, mode: mode, size: size,
                           creatorPID: cpid, lastPID: lpid, attachments: nattch, uid: uid, gid: gid,
                           creatorUID: cuid, creatorGID: cgid, attachTime: atime, detachTime: dtime,
                           changeTime: ctime, rss: rss, swap: swap)
    }
}

private extension Substring {
    func trimmingCharacters(in set: Set<Character>) -> Substring {
        var s = self
        while let last = s.last, set.contains(last) { s.removeLast() }
        return s
    }
}
