// SPDX-License-Identifier: Apache-2.0
import Glibc

/// Why the kernel may refuse to hand over another process's fds: the same
/// rules as ptrace attach (PTRACE_MODE_ATTACH_REALCREDS), read live.
public struct PermissionDiagnosis {
    public let ptraceScope: Int?
    public let callerUID: uid_t
    public let targetUID: uid_t?
    public let isDescendant: Bool
    public let targetDumpable: Bool?
    /// What was read and where, one line each (for a verbose log).
    public let steps: [String]

    public init(pid: pid_t) {
        ptraceScope = ProcFiles.readInt("/proc/sys/kernel/yama/ptrace_scope")
        callerUID = getuid()
        let status = ProcFiles.status(pid: pid)
        targetUID = status["Uid"].flatMap { $0.split(separator: "\t").first }.flatMap { uid_t($0) }
        isDescendant = Self.isDescendant(pid, of: getpid())
        // /proc/PID/{mem,environ} belong to root when the target is not dumpable.
        var st = stat()
        targetDumpable = stat("/proc/\(pid)/environ", &st) == 0 ? (st.st_uid != 0 || targetUID == 0) : nil
        steps = [
            "permission: pid \(pid): yama ptrace_scope = \(ptraceScope.map(String.init) ?? "(no Yama)") (/proc/sys/kernel/yama/ptrace_scope)",
            "permission: pid \(pid): caller uid \(callerUID), target uid \(targetUID.map(String.init) ?? "unknown") (/proc/\(pid)/status)",
            "permission: pid \(pid): \(isDescendant ? "a descendant" : "not a descendant") of the caller (PPid chain)",
            "permission: pid \(pid): \(targetDumpable.map { $0 ? "dumpable" : "not dumpable" } ?? "dumpability unknown") (owner of /proc/\(pid)/environ)",
        ]
    }

    public var summary: String {
        var parts: [String] = []
        if let ptraceScope { parts.append("yama ptrace_scope=\(ptraceScope)") }
        if let targetUID {
            parts.append(targetUID == callerUID ? "same uid \(callerUID)" : "target uid \(targetUID), caller uid \(callerUID)")
        }
        parts.append(isDescendant ? "target is a descendant" : "target is not a descendant")
        if targetDumpable == false { parts.append("target is not dumpable") }
        return parts.joined(separator: ", ")
    }

    public var remedies: [String] {
        var lines: [String] = []
        if let targetUID, targetUID != callerUID {
            lines.append("run as uid \(targetUID) (the owner) or as root")
        }
        if targetDumpable == false {
            lines.append("the owner changed credentials or called prctl(PR_SET_DUMPABLE, 0): only CAP_SYS_PTRACE may take its fds")
        }
        switch ptraceScope {
        case 1? where !isDescendant:
            lines.append("ptrace_scope=1 allows only descendants: have the owner call prctl(PR_SET_PTRACER, <adopter pid or PR_SET_PTRACER_ANY>), run with CAP_SYS_PTRACE, or start the owner from the adopter")
        case 2?:
            lines.append("ptrace_scope=2 allows only CAP_SYS_PTRACE (e.g. root)")
        case 3?:
            lines.append("ptrace_scope=3 forbids attaching entirely until reboot")
        default:
            break
        }
        if lines.isEmpty { lines.append("grant CAP_SYS_PTRACE, or run as the owner's user") }
        return lines
    }

    static func isDescendant(_ pid: pid_t, of ancestor: pid_t) -> Bool {
        var current = pid
        for _ in 0..<4096 {
            guard current > 1, let ppid = ProcFiles.status(pid: current)["PPid"].flatMap({ pid_t($0) }) else {
                return false
            }
            if ppid == ancestor { return true }
            current = ppid
        }
        return false
    }
}
