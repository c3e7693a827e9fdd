// SPDX-License-Identifier: Apache-2.0
import RemoteFD
import Glibc

/// A child process whose stdout we read (posix_spawn; no Foundation in
/// this binary, for start-up time).
final class SpawnedProcess {
    let pid: pid_t
    private let stdoutFD: Int32
    private var pending: [UInt8] = []

    init(path: String, arguments: [String]) throws {
        var pipeFDs: [Int32] = [0, 0]
        guard pipe(&pipeFDs) == 0 else { throw SpawnError(path: path, errno: errno) }
        // Neither end leaks into the child beyond its dup2'ed stdout.
        for end in pipeFDs { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipeFDs[1], STDOUT_FILENO)
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, path, &actions, nil, argv, environ)
        close(pipeFDs[1])
        guard rc == 0 else {
            close(pipeFDs[0])
            throw SpawnError(path: path, errno: rc)
        }
        pid = child
        stdoutFD = pipeFDs[0]
    }

    deinit {
        close(stdoutFD)
    }

    /// The next line of the child's stdout, nil at EOF.
    func readLine() -> String? {
        while true {
            if let nl = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[..<nl], as: UTF8.self)
                pending.removeSubrange(...nl)
                return line
            }
            var chunk = [UInt8](repeating: 0, count: 256)
            guard case .success(let n) = retryingOnEINTR({ read(stdoutFD, &chunk, chunk.count) }), n > 0 else { return nil }
            pending += chunk[..<n]
        }
    }

    func kill(_ signal: Int32) { _ = Glibc.kill(pid, signal) }

    /// Reaps the child; returns its wait status.
    @discardableResult
    func wait() -> Int32 {
        var status: Int32 = 0
        _ = retryingOnEINTR { waitpid(pid, &status, 0) }
        return status
    }
}

struct SpawnError: Error, CustomStringConvertible {
    let path: String
    let errno: Int32
    var description: String { "cannot start \(path): \(String(cString: strerror(errno)))" }
}

/// A program installed beside this executable (the samples are built into
/// the same directory as adopt).
func siblingExecutable(_ name: String) -> String? {
    guard let me = ProcFiles.readLink("/proc/self/exe"), let slash = me.lastIndex(of: "/") else { return nil }
    let path = String(me[...slash]) + name
    return access(path, X_OK) == 0 ? path : nil
}
