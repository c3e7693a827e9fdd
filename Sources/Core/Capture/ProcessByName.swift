import Glibc

/// Finding a process by its command name (/proc/PID/comm, at most 15
/// characters) by polling /proc. The netlink process-events connector
/// would report starts without polling but needs CAP_NET_ADMIN; this
/// works for everyone, at the cost of missing a process that starts and
/// exits within one interval.
public enum ProcessByName {
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

    /// Polls every `interval` seconds until a process named `name` runs
    /// (returns at once if one does), or `timeout` passes (nil).
    public static func wait(for name: String, interval: Double, timeout: Double?) -> pid_t? {
        var start = timespec()
        clock_gettime(CLOCK_MONOTONIC, &start)
        while true {
            if let pid = find(name).first { return pid }
            if let timeout {
                var now = timespec()
                clock_gettime(CLOCK_MONOTONIC, &now)
                let elapsed = Double(now.tv_sec - start.tv_sec) + Double(now.tv_nsec - start.tv_nsec) / 1e9
                if elapsed >= timeout { return nil }
            }
            var request = timespec(tv_sec: Int(interval), tv_nsec: Int((interval - interval.rounded(.down)) * 1e9))
            var remaining = timespec()
            while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
        }
    }
}
