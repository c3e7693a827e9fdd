// SPDX-License-Identifier: Apache-2.0
import CShims
import Glibc
import RemoteFD
import SystemPackage

/// Takes a process's buffers at the moment it exits, before the kernel
/// closes its fds — without the module: ptrace(PTRACE_SEIZE) with
/// PTRACE_O_TRACEEXIT. At the PTRACE_EVENT_EXIT stop (reached on exit(),
/// return from main and fatal signals, SIGKILL included) the process is
/// still in do_exit with its fd table intact, so the usual backends can
/// adopt; then it is detached and finishes exiting (its parent sees the
/// real exit status).
///
/// ptrace belongs to the *thread* that attached: create, wait and detach on
/// one thread (the main thread; no Swift concurrency in between). Only the
/// thread-group leader is traced: the capture happens when it exits, which
/// is the process's exit unless the main thread alone calls pthread_exit.
/// If this process dies while tracing, the kernel detaches the target,
/// which goes on unharmed.
public final class ExitCapture {
    public let target: TargetProcess
    private var attached = false

    /// The process the kernel reports as tracing `pid` (TracerPid), 0 for none.
    public static func tracer(of pid: pid_t) -> pid_t? {
        ProcFiles.status(pid: pid)["TracerPid"].flatMap { pid_t($0) }
    }

    /// Seizes `pid`. Refuses a process already traced (it can have only one
    /// tracer), ourselves, and anything ptrace refuses (with the reasons).
    public init(pid: pid_t) throws(AdoptError) {
        guard pid != getpid() else {
            throw AdoptError(pid: pid, fd: nil, reason: .other, errno: .invalidArgument, "cannot watch this process itself")
        }
        target = try TargetProcess(pid: pid)
        if let tracer = Self.tracer(of: pid), tracer != 0 {
            let comm = ProcFiles.read("/proc/\(tracer)/comm")?.trimmingWhitespace ?? "?"
            throw AdoptError(pid: pid, fd: nil, reason: .other, errno: .resourceBusy,
                             "already traced by pid \(tracer) (\(comm)): a process has only one tracer; stop that one first (TracerPid in /proc/\(pid)/status)")
        }
        switch retryingOnEINTR({ rfd_ptrace(rfd_ptrace_seize(), pid, 0, rfd_ptrace_o_traceexit()) }) {
        case .success:
            attached = true
        case .failure(.noSuchProcess):
            throw AcquireFailure.explain(.noSuchProcess, pid: pid, fd: nil, backend: "ptrace")
        case .failure(let err) where err == .notPermitted || err == .permissionDenied:
            // Lost a race with another tracer, or not allowed.
            if let tracer = Self.tracer(of: pid), tracer != 0 {
                throw AdoptError(pid: pid, fd: nil, reason: .other, errno: err, "already traced by pid \(tracer)")
            }
            let diagnosis = PermissionDiagnosis(pid: pid)
            throw AdoptError(pid: pid, fd: nil, reason: .permissionDenied, errno: err,
                             "not allowed to trace this process (PTRACE_SEIZE): \(diagnosis.summary)",
                             hints: diagnosis.remedies)
        case .failure(let err):
            throw AdoptError(pid: pid, fd: nil, reason: .other, errno: err, "PTRACE_SEIZE failed")
        }
    }

    deinit {
        // Normally detached at the exit stop; if we give up early the kernel
        // detaches when we exit, but do not leave it waiting on us.
        if attached { _ = rfd_ptrace(rfd_ptrace_detach(), target.pid, 0, 0) }
    }

    /// How the process ended, as far as the exit stop tells.
    public struct Exit: Sendable {
        /// The wait status the process exits with (PTRACE_GETEVENTMSG).
        public var status: Int32
        public var exitCode: Int32? { rfd_wifexited(status) != 0 ? rfd_wexitstatus(status) : nil }
        public var signal: Int32? { rfd_wifsignaled(status) != 0 ? rfd_wtermsig(status) : nil }

        public var text: String {
            if let exitCode { return "exited with status \(exitCode)" }
            if let signal { return "killed by signal \(signal)" + (signal == SIGKILL ? " (SIGKILL)" : "") }
            return "wait status \(status)"
        }
    }

    /// Lets the process run (passing on the signals it receives, keeping
    /// SIGSTOP/SIGCONT job control intact) until it exits; at the exit stop
    /// calls `capture` while the fd table is still there, then detaches.
    /// Blocks the calling thread, which must be the one that attached.
    public func waitForExit<T>(_ capture: (TargetProcess) -> T) throws(AdoptError) -> (T, Exit) {
        let pid = target.pid
        while true {
            var status: Int32 = 0
            if rfd_waitpid_all(pid, &status) < 0 {
                let err = Errno.current
                if err == .interrupted { continue }
                attached = false
                throw AdoptError(pid: pid, fd: nil, reason: .other, errno: err, "waiting for the traced process failed")
            }
            if rfd_wifexited(status) != 0 || rfd_wifsignaled(status) != 0 {
                attached = false
                throw AdoptError(pid: pid, fd: nil, reason: .noSuchProcess, errno: .noSuchProcess,
                                 "the process ended without an exit stop (\(Exit(status: status).text))")
            }
            guard rfd_wifstopped(status) != 0 else { continue }
            let event = rfd_wptrace_event(status)
            let sig = rfd_wstopsig(status)
            if event == rfd_ptrace_event_exit() {
                var message: UInt = 0
                _ = withUnsafeMutablePointer(to: &message) {
                    rfd_ptrace(rfd_ptrace_geteventmsg(), pid, 0, UInt(bitPattern: $0))
                }
                let result = capture(target)
                _ = rfd_ptrace(rfd_ptrace_detach(), pid, 0, 0)
                attached = false
                return (result, Exit(status: Int32(truncatingIfNeeded: message)))
            }
            let request: Int32
            var data: UInt = 0
            if event == rfd_ptrace_event_stop() {
                // Group stop (SIGSTOP & co.): stay stopped, as without us,
                // but keep being told about the exit. Other event stops: go on.
                request = [SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU].contains(sig) ? rfd_ptrace_listen() : rfd_ptrace_cont()
            } else if event != 0 {
                request = rfd_ptrace_cont()
            } else {
                // Signal-delivery stop: deliver the signal unchanged.
                request = rfd_ptrace_cont()
                data = UInt(sig)
            }
            if rfd_ptrace(request, pid, 0, data) < 0 && Errno.current == .noSuchProcess {
                continue  // killed meanwhile: the exit stop (or exit) comes next
            }
        }
    }

    /// The fds to capture by default: every open fd the registry's handlers
    /// take (others are skipped silently). With `fds`, exactly those; a
    /// failure is reported per fd.
    public static func capture(from target: TargetProcess, fds requested: [Int32]?, adopter: Adopter)
        -> (adopted: [Adoption], failures: [AdoptError])
    {
        let candidates: [Int32]
        if let requested {
            candidates = requested
        } else {
            switch Inventory.fdNumbers(pid: target.pid) {
            case .success(let list): candidates = list
            case .failure(let err):
                return ([], [AdoptError(pid: target.pid, fd: nil, reason: .other, errno: err, "cannot list the fds of the exiting process")])
            }
        }
        var adopted: [Adoption] = []
        var failures: [AdoptError] = []
        for fd in candidates {
            do {
                adopted.append(try adopter.adopt(fd: fd, of: target))
            } catch {
                let quiet: Bool
                switch error.reason {
                case .notAdoptable, .cannotReopen, .fdNotOpen: quiet = requested == nil
                default: quiet = false
                }
                if !quiet { failures.append(error) }
            }
        }
        return (adopted, failures)
    }

    /// At the exit stop: the files behind the process's shared file
    /// mappings, through /proc/PID/map_files (CAP_SYS_ADMIN or
    /// CAP_CHECKPOINT_RESTORE), those a handler takes. A buffer already in
    /// `skipping` (device, inode: captured by an fd) is not taken twice.
    public static func captureMappings(from target: TargetProcess, adopter: Adopter,
                                       skipping: Set<[UInt64]> = []) -> (adopted: [Adoption], failures: [AdoptError]) {
        let claims = MappingClaims(adopter.handlers)
        guard let maps = MapsReader().mappings(pid: target.pid, claims: claims, all: true) else {
            return ([], [AdoptError(pid: target.pid, fd: nil, reason: .other, errno: .current,
                                    "cannot read the maps of the exiting process")])
        }
        var adopted: [Adoption] = []
        var failures: [AdoptError] = []
        var seen = skipping
        // map_files, or a claiming handler's own way where it is refused.
        let mapFiles = Adopter(handlers: adopter.handlers, backend: ProcfsBackend())
        for m in maps where m.isShared && m.hasFile && !m.path.hasPrefix("[") {
            guard seen.insert([m.device, m.inode]).inserted else { continue }
            do {
                adopted.append(try mapFiles.adopt(mapping: .address(m.start), of: target))
            } catch {
                // Not a buffer (a shared library, a font): quietly skipped;
                // a refused buffer is reported.
                if m.type != nil { failures.append(error) }
            }
        }
        return (adopted, failures)
    }
}
