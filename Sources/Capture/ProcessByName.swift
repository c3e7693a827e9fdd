// SPDX-License-Identifier: Apache-2.0
import CShims
import Glibc
import RemoteFD

/// Finding a process by its command name (/proc/PID/comm, at most 15
/// characters). With CAP_NET_ADMIN the netlink process-events connector
/// reports every exec and comm change as it happens; without it, /proc is
/// polled, at the cost of missing a process that starts and exits within
/// one interval.
public enum ProcessByName {
    /// How `wait` learns of new processes.
    public enum Method: String {
        case connector = "netlink process events"
        case polling = "polling /proc"
    }

    /// The kernel keeps the first 15 bytes of the name.
    public static func commName(_ name: String) -> String {
        String(decoding: Array(name.utf8.prefix(15)), as: UTF8.self)
    }

    public static func comm(of pid: pid_t) -> String? {
        ProcFiles.read("/proc/\(pid)/comm")?.trimmingWhitespace
    }

    /// Running processes named `name` (not this one), lowest pid first.
    public static func find(_ name: String) -> [pid_t] {
        let wanted = commName(name)
        let me = getpid()
        return Inventory.allPids().filter { $0 != me && comm(of: $0) == wanted }
    }

    /// Waits until a process named `name` runs (returns at once if one
    /// does) or `timeout` passes (nil): through the process-events connector
    /// where we may subscribe, else polling every `interval` seconds.
    /// `method` says which was used.
    public static func wait(for name: String, interval: Double, timeout: Double?,
                            method: ((Method) -> Void)? = nil) -> pid_t? {
        // Without CAP_NET_ADMIN, 6.1 accepts the subscription and then sends
        // nothing (it refuses the listen request only in an ack): don't try.
        // (6.12 lets anyone listen; polling there is merely slower.)
        let sock = hasNetAdmin ? rfd_proc_events_open() : -1
        guard sock >= 0 else {
            method?(.polling)
            return poll(for: name, interval: interval, timeout: timeout)
        }
        defer { close(sock) }
        method?(.connector)
        // Subscribed first, then scanned: a process started in between is
        // seen by one or the other.
        if let pid = find(name).first { return pid }
        let wanted = commName(name)
        let start = now()
        while true {
            var waitMs: Int32 = -1
            if let timeout {
                let left = timeout - (now() - start)
                if left <= 0 { return nil }
                waitMs = Int32(min(left * 1000, Double(Int32.max)).rounded(.up))
            }
            let pid = rfd_proc_events_next(sock, waitMs)
            if pid > 0 && pid != getpid() && comm(of: pid) == wanted { return pid }
            if pid == -1 && errno == ENOBUFS {
                // Events were dropped: rescan rather than miss one.
                if let found = find(name).first { return found }
            }
        }
    }

    /// CAP_NET_ADMIN (bit 12) in our effective set.
    static var hasNetAdmin: Bool {
        guard let hex = ProcFiles.status(pid: getpid())["CapEff"], let caps = UInt64(hex, radix: 16) else {
            return false
        }
        return caps & (1 << 12) != 0
    }

    /// Seconds on the monotonic clock.
    private static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    /// Polls every `interval` seconds.
    private static func poll(for name: String, interval: Double, timeout: Double?) -> pid_t? {
        let start = now()
        while true {
            if let pid = find(name).first { return pid }
            if let timeout, now() - start >= timeout { return nil }
            sleepSeconds(interval)
        }
    }
}
