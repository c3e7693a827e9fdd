// SPDX-License-Identifier: Apache-2.0
import CShims
import Glibc
import RemoteFD
import SystemPackage

/// The ptrace mechanism under ``ExitCapture``: takes a process's buffers at
/// the moment it exits, before the kernel closes its fds — without the
/// module: ptrace(PTRACE_SEIZE) with
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
///
/// Most programs want ``ExitCapture`` (which backend, which fds, what to do
/// at the stop); this type is the stop itself.
public final class PtraceExitCapture {
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
        public var exitCode: Int32? { termination.exitCode }
        public var signal: Int32? { termination.signal }
        /// The status decoded: ``CapturedExit/Termination/exited(code:)``,
        /// ``CapturedExit/Termination/killed(signal:)`` or, for anything
        /// else, ``CapturedExit/Termination/waitStatus(_:)``.
        public var termination: CapturedExit.Termination { CapturedExit.Termination(waitStatus: status) }
        /// "exited with status 7", "killed by signal 9 (SIGKILL)".
        public var text: String { termination.description }
    }

    /// Lets the process run (passing on the signals it receives, keeping
    /// SIGSTOP/SIGCONT job control intact) until it exits; at the exit stop
    /// calls `atExitStop` while the fd table and the address space are still
    /// there, then detaches and returns how the process exits.
    /// Blocks the calling thread, which must be the one that attached.
    public func waitForExit(atExitStop: (TargetProcess) -> Void) throws(AdoptError) -> Exit {
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
                atExitStop(target)
                _ = rfd_ptrace(rfd_ptrace_detach(), pid, 0, 0)
                attached = false
                return Exit(status: Int32(truncatingIfNeeded: message))
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

    /// At the exit stop: the fds to capture. With `requested` nil, every
    /// open fd the adopter's handlers take; the others (a pipe, a socket,
    /// stdio) go to ``CapturedBuffers/skipped``. With a list, exactly those
    /// fds, and each that cannot be taken is a failure.
    public static func capture(from target: TargetProcess, fds requested: [Int32]?, adopter: Adopter) -> CapturedBuffers {
        var result = CapturedBuffers()
        let candidates: [Int32]
        if let requested {
            candidates = requested
        } else {
            switch Inventory.fdNumbers(pid: target.pid) {
            case .success(let list): candidates = list
            case .failure(let err):
                result.failures.append(AdoptError(pid: target.pid, fd: nil, reason: .other, errno: err,
                                                  "cannot list the fds of the exiting process"))
                return result
            }
        }
        for fd in candidates {
            do {
                result.buffers.append(try adopter.adopt(fd: fd, of: target))
            } catch {
                let quiet: Bool
                switch error.reason {
                case .notAdoptable, .cannotReopen, .fdNotOpen: quiet = requested == nil
                default: quiet = false
                }
                if quiet { result.skipped.append(error) } else { result.failures.append(error) }
            }
        }
        return result
    }
}
