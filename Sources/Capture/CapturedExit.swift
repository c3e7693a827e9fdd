// SPDX-License-Identifier: Apache-2.0
import CShims
import Glibc
import RemoteFD

/// What one capture on exit took: the result of ``ExitCapture/run(progress:)``.
///
/// The buffers are held: each `Adoption` owns its file, so they stay alive
/// (their memory is not freed) until the adoptions are dropped or handed on.
public struct CapturedExit {
    /// The process that was watched.
    public var pid: pid_t
    /// How it was captured: through the module's watch or at the ptrace
    /// exit stop.
    public var method: ExitCapture.Method
    /// How the process ended, as far as the method tells.
    public var termination: Termination
    /// The buffers captured, each identified by a handler: the fds first,
    /// then the files behind mappings (``ExitCapture/Selection/maps``), then
    /// what the ``ExitMappingCapture`` hooks added. A buffer reached
    /// several ways (an fd and a mapping of the same file) is here once.
    public var buffers: [Adoption]
    /// What was asked for and could not be taken: an fd named in
    /// ``ExitCapture/Selection/fds`` that was not open or is no buffer, a
    /// buffer a handler refused, files the module could not keep, a
    /// capture the kernel denied. Each names the process and the fd or
    /// mapping where there is one.
    public var failures: [AdoptError]
    /// What was passed over quietly because nobody asked for it by name:
    /// fds no handler takes (pipes, sockets, stdio), shared mappings of
    /// files that are no buffers (a library, a font). For diagnostics;
    /// not failures.
    public var skipped: [AdoptError]
    /// Remarks about the choices made (a module present but unusable, so
    /// ptrace was used; hooks not run), in the order they arose. The same
    /// lines are passed to the progress callback as
    /// ``ExitCapture/Progress/note(_:)`` when they arise.
    public var notes: [String]

    public init(pid: pid_t, method: ExitCapture.Method, termination: Termination, buffers: [Adoption] = [],
                failures: [AdoptError] = [], skipped: [AdoptError] = [], notes: [String] = []) {
        self.pid = pid
        self.method = method
        self.termination = termination
        self.buffers = buffers
        self.failures = failures
        self.skipped = skipped
        self.notes = notes
    }

    /// Appends what one step at the exit stop took.
    public mutating func append(_ batch: CapturedBuffers) {
        buffers += batch.buffers
        failures += batch.failures
        skipped += batch.skipped
    }

    /// How a watched process ended.
    ///
    /// The ptrace method reads the wait status at the exit stop
    /// (``exited(code:)``, ``killed(signal:)``); the module reports the exit
    /// but not its status (``exitedStatusUnknown``), or that it captured
    /// nothing (``denied``).
    public enum Termination: Equatable, Sendable, CustomStringConvertible {
        /// It exited (exit(), a return from main) with this status.
        case exited(code: Int32)
        /// A signal killed it (SIGKILL included).
        case killed(signal: Int32)
        /// A wait status that is neither (not expected at an exit stop).
        case waitStatus(Int32)
        /// The module saw it exit; it does not report the status.
        case exitedStatusUnknown
        /// The module captured nothing: the process exec'd, changed
        /// credentials or became non-dumpable after the watch was armed
        /// (the arming's permission check no longer held).
        case denied
        /// Collecting the module's events failed before its final event:
        /// the process may still run; ``CapturedExit/failures`` says why.
        case collectionFailed

        /// Decodes a wait status, as waitpid(2) or PTRACE_GETEVENTMSG at
        /// the exit stop gives it.
        public init(waitStatus status: Int32) {
            if rfd_wifexited(status) != 0 {
                self = .exited(code: rfd_wexitstatus(status))
            } else if rfd_wifsignaled(status) != 0 {
                self = .killed(signal: rfd_wtermsig(status))
            } else {
                self = .waitStatus(status)
            }
        }

        /// The exit status, for ``exited(code:)``.
        public var exitCode: Int32? {
            if case .exited(let code) = self { return code }
            return nil
        }

        /// The killing signal, for ``killed(signal:)``.
        public var signal: Int32? {
            if case .killed(let signal) = self { return signal }
            return nil
        }

        /// Whether the process is known to have ended (every case but
        /// ``collectionFailed``).
        public var hasEnded: Bool { self != .collectionFailed }

        /// One phrase, as `adopt watch` prints it in its `exited` event:
        /// "exited with status 7", "killed by signal 9 (SIGKILL)", "exited".
        public var description: String {
            switch self {
            case .exited(let code): return "exited with status \(code)"
            case .killed(let signal): return "killed by signal \(signal)" + (signal == SIGKILL ? " (SIGKILL)" : "")
            case .waitStatus(let status): return "wait status \(status)"
            case .exitedStatusUnknown: return "exited"
            case .denied: return "exited after exec or a credential change since arming: nothing captured"
            case .collectionFailed: return "collection failed"
            }
        }
    }
}

/// What one step of a capture took: the fds at the exit stop, the files
/// behind the mappings, or one ``ExitMappingCapture`` hook. Folded into a
/// ``CapturedExit`` with ``CapturedExit/append(_:)``.
public struct CapturedBuffers {
    /// Identified buffers, now held by this process.
    public var buffers: [Adoption]
    /// What was asked for and could not be taken (see ``CapturedExit/failures``).
    public var failures: [AdoptError]
    /// What was passed over quietly (see ``CapturedExit/skipped``).
    public var skipped: [AdoptError]

    public init(buffers: [Adoption] = [], failures: [AdoptError] = [], skipped: [AdoptError] = []) {
        self.buffers = buffers
        self.failures = failures
        self.skipped = skipped
    }

    /// Appends what another step took.
    public mutating func append(_ other: CapturedBuffers) {
        buffers += other.buffers
        failures += other.failures
        skipped += other.skipped
    }
}
