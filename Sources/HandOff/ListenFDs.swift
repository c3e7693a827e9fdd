// SPDX-License-Identifier: Apache-2.0
import CShims
import Glibc
import RemoteFD
import SystemPackage

/// Hands fds to a new program the systemd way (sd_listen_fds(3)): the fds
/// at 3, 4, …, LISTEN_FDS = their count, LISTEN_PID = the program's pid,
/// LISTEN_FDNAMES = their names joined by ':'. The program replaces this
/// process (exec in place), so LISTEN_PID is simply getpid().
public enum ListenFDs {
    public struct Entry {
        public var name: String
        public var descriptor: FileDescriptor

        public init(name: String, descriptor: FileDescriptor) {
            self.name = name
            self.descriptor = descriptor
        }
    }

    /// Arranges `entries` at 3… and execs `command` (searched in PATH).
    /// Close-on-exec is cleared on those fds only; every other fd above
    /// stderr is marked close-on-exec. Returns only on failure, with the
    /// errno and the step that failed; the fd table is then rearranged, so
    /// the caller should report and exit.
    public static func exec(_ entries: [Entry], command: [String]) -> (step: String, errno: Errno) {
        guard let program = command.first else { return ("no command", .invalidArgument) }
        let count = Int32(entries.count)
        // 1. Move every fd above the target range, so that placing one never
        //    overwrites another still to be placed.
        var high: [Int32] = []
        for entry in entries {
            let moved = rfd_dup_cloexec_above(entry.descriptor.rawValue, 3 + count)
            guard moved >= 0 else { return ("dup of fd \(entry.descriptor.rawValue)", .current) }
            high.append(moved)
        }
        // 2. dup2 to 3+i: the copy does not have FD_CLOEXEC.
        for (i, fd) in high.enumerated() {
            guard dup2(fd, 3 + Int32(i)) >= 0 else { return ("dup2 to fd \(3 + i)", .current) }
        }
        // 3. Nothing else leaks into the program.
        if rfd_cloexec_from(UInt32(3 + count)) != 0 {
            for fd in Self.openFDs() where fd >= 3 + count {
                _ = rfd_set_fd_flags(fd, FD_CLOEXEC)
            }
        }
        // 4. The environment sd_listen_fds_with_names() reads.
        if entries.isEmpty {
            unsetenv("LISTEN_FDS")
            unsetenv("LISTEN_PID")
            unsetenv("LISTEN_FDNAMES")
        } else {
            setenv("LISTEN_FDS", String(count), 1)
            setenv("LISTEN_PID", String(getpid()), 1)
            setenv("LISTEN_FDNAMES", entries.map(\.name).joined(separator: ":"), 1)
        }
        // 5. The program starts with the signal state a fresh process has.
        _ = rfd_unblock_termination_signals()
        signal(SIGPIPE, SIG_DFL)
        let argv = command.map { strdup($0) } + [nil]
        execvp(program, argv)
        let err = Errno.current
        argv.forEach { free($0) }
        return ("exec \(program)", err)
    }

    static func openFDs() -> [Int32] {
        guard let dir = opendir("/proc/self/fd") else { return [] }
        defer { closedir(dir) }
        var fds: [Int32] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if let fd = Int32(name) { fds.append(fd) }
        }
        return fds
    }
}
