// SPDX-License-Identifier: Apache-2.0
import Foundation
import RemoteFDHandOff
import SystemPackage

/// A raw connection to a keeper, for tests that send what KeeperClient never
/// would: any bytes, with any number of fds attached (more than FdPassing's
/// 64, to make the keeper's control message overflow).
final class KeeperConnection {
    let socket: FileDescriptor
    private var buffered: [UInt8] = []
    private(set) var closedByKeeper = false

    init(_ path: String) throws {
        socket = try FdPassing.connect(to: path)
        // Never wait long on a keeper that stopped reading.
        var limit = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(socket.rawValue, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { try? socket.close() }

    /// Sends `bytes` (not empty) with `fds` (raw numbers, still ours)
    /// attached to the first sendmsg. False if the keeper has gone away
    /// (EPIPE, ECONNRESET).
    @discardableResult
    func send(_ bytes: [UInt8], fds: [Int32] = []) -> Bool {
        let header = MemoryLayout<cmsghdr>.size
        let dataLength = fds.count * MemoryLayout<Int32>.size
        let space = header + ((dataLength + 7) & ~7)  // CMSG_SPACE
        let control = UnsafeMutableRawPointer.allocate(byteCount: max(space, 8), alignment: 8)
        defer { control.deallocate() }
        control.initializeMemory(as: UInt8.self, repeating: 0, count: max(space, 8))
        var cmsg = cmsghdr()
        cmsg.cmsg_len = header + dataLength
        cmsg.cmsg_level = SOL_SOCKET
        cmsg.cmsg_type = Int32(SCM_RIGHTS)
        control.storeBytes(of: cmsg, as: cmsghdr.self)
        fds.withUnsafeBytes { (control + header).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }

        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { buf -> Int in
                var iov = iovec(iov_base: UnsafeMutableRawPointer(mutating: buf.baseAddress! + sent),
                                iov_len: buf.count - sent)
                var msg = msghdr()
                return withUnsafeMutablePointer(to: &iov) { iovp in
                    msg.msg_iov = iovp
                    msg.msg_iovlen = 1
                    if sent == 0 && !fds.isEmpty {
                        msg.msg_control = control
                        msg.msg_controllen = space
                    }
                    return sendmsg(socket.rawValue, &msg, Int32(MSG_NOSIGNAL))
                }
            }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return false }
            sent += n
        }
        return true
    }

    /// The next `count` status lines ("ok …" / "err …"; buffer lines before
    /// them are skipped), fewer if the keeper closes the connection first.
    /// Fds that come with replies are closed. Throws after `timeout` s.
    func statusLines(_ count: Int, timeout: Double = 5) throws -> [String] {
        let deadline = Date().addingTimeInterval(timeout)
        var lines: [String] = []
        while lines.count < count {
            if let nl = buffered.firstIndex(of: 0x0a) {
                let line = String(decoding: buffered[..<nl], as: UTF8.self)
                buffered.removeSubrange(...nl)
                if line == "ok" || line.hasPrefix("ok ") || line.hasPrefix("err ") { lines.append(line) }
                continue
            }
            if closedByKeeper { break }
            var pfd = pollfd(fd: socket.rawValue, events: Int16(POLLIN), revents: 0)
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { throw TestFailure("no reply from the keeper within \(timeout) s; got \(lines)") }
            guard poll(&pfd, 1, Int32(left * 1000) + 1) > 0 else { continue }
            do {
                let got = try FdPassing.receive(on: socket)
                if got.bytes.isEmpty { closedByKeeper = true }
                buffered += got.bytes
            } catch {
                closedByKeeper = true  // ECONNRESET: it dropped us with bytes unread
            }
        }
        return lines
    }

    /// One request line, one status line.
    func request(_ line: String, fds: [Int32] = []) throws -> String {
        send(Array((line + "\n").utf8), fds: fds)
        return try statusLines(1).first ?? "(connection closed)"
    }
}

/// `pid`'s open fds once they stop changing into anything but `expected`:
/// a connection the test closed is closed by the keeper a moment later.
func settledFDs(pid: Int32, expected: Set<Int>, timeout: Double = 3) -> Set<Int> {
    let deadline = Date().addingTimeInterval(timeout)
    var now = openFDs(pid: pid)
    while now != expected && Date() < deadline {
        usleep(10_000)
        now = openFDs(pid: pid)
    }
    return now
}

/// The open fds of `pid` once they have stayed the same for 200 ms (at
/// most `timeout` seconds): a server's table after it has finished with
/// the connections just closed.
func stableFDs(pid: Int32, timeout: Double = 3) -> Set<Int> {
    let deadline = Date().addingTimeInterval(timeout)
    var last = openFDs(pid: pid)
    var unchanged = 0
    while unchanged < 10 && Date() < deadline {
        usleep(20_000)
        let now = openFDs(pid: pid)
        unchanged = now == last ? unchanged + 1 : 0
        last = now
    }
    return last
}
