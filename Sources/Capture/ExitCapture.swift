// SPDX-License-Identifier: Apache-2.0
import Glibc
import Logging
import RemoteFD

/// Capture on exit: takes a process's buffers when it exits or crashes,
/// before the kernel closes its fds, and returns them identified.
///
/// This is the policy `adopt watch` applies; a program gets the same with
///
///     let capture = ExitCapture(pid: 1234, handlers: HandlerRegistry([MemfdHandler(), ShmHandler()]))
///     let exit = try capture.run { progress in
///         if case .armed(let method) = progress { print("watching via \(method)") }
///     }
///     print(exit.termination, exit.buffers.map(\.type))
///
/// Two methods (``Method``), chosen by ``backend`` the way adoption chooses
/// its backend (`Backends.choose`):
///
/// - ``Method/module``: the remotefd module takes the files at exit
///   (REMOTEFD_IOC_WATCH, ``KmodExitCapture``). The process is not stopped
///   and may have a tracer of its own; the exit status is not reported.
///   Used for `BackendChoice.kmod` (an error if the module cannot capture)
///   and for `BackendChoice.auto` when /dev/remotefd opens and can capture.
/// - ``Method/ptrace``: PTRACE_SEIZE with PTRACE_O_TRACEEXIT
///   (``PtraceExitCapture``); at the exit stop the fds are taken with the
///   backend ``backend`` resolves to (pidfd_getfd or /proc), then the
///   ``mappingCapturers`` run, then the process is let go and its parent
///   sees its real exit status. Used for `BackendChoice.pidfd` and
///   `BackendChoice.procfs`, and for `BackendChoice.auto` without a
///   usable module: silently when there is no module at all, with a
///   ``Progress/note(_:)`` when /dev/remotefd exists but cannot be used.
///   A process that already has a tracer is refused.
///
/// ``run(progress:)`` blocks until the process has exited. With ptrace the
/// calling thread is the tracer: it attaches, waits and detaches, so call
/// it from one thread that may block for as long as the process lives. If
/// this process dies meanwhile, the kernel detaches the target, unharmed.
public struct ExitCapture {
    /// The process to watch.
    public var pid: pid_t
    /// The handlers that identify what is captured: a file none of them
    /// takes is not a buffer and is not kept.
    public var handlers: HandlerRegistry
    /// Which method, and with ptrace which backend takes the fds: see
    /// ``ExitCapture``.
    public var backend: BackendChoice
    /// Which fds and kinds to take.
    public var selection: Selection
    /// Hooks that take, at the ptrace exit stop, resources that are not
    /// fds (System V segments, ...): called in order after the fds and
    /// ``Selection/maps``. None by default. The module method does not run
    /// them (it never stops the process); ``CapturedExit/notes`` says so.
    public var mappingCapturers: [any ExitMappingCapture]
    /// Where its decisions are logged (silent by default).
    public var logger: Logger

    public init(pid: pid_t, handlers: HandlerRegistry, backend: BackendChoice = .auto,
                selection: Selection = Selection(), mappingCapturers: [any ExitMappingCapture] = [],
                logger: Logger = .silent) {
        self.logger = logger
        self.pid = pid
        self.handlers = handlers
        self.backend = backend
        self.selection = selection
        self.mappingCapturers = mappingCapturers
    }

    /// How a capture takes the files.
    public enum Method: String, Equatable, Sendable, CustomStringConvertible {
        /// The remotefd module's watch (REMOTEFD_IOC_WATCH): raw value "kmod".
        case module = "kmod"
        /// The ptrace exit stop (PTRACE_O_TRACEEXIT): raw value "ptrace".
        case ptrace

        /// "kmod (REMOTEFD_IOC_WATCH)", "ptrace (PTRACE_O_TRACEEXIT)".
        public var description: String {
            switch self {
            case .module: return "kmod (REMOTEFD_IOC_WATCH)"
            case .ptrace: return "ptrace (PTRACE_O_TRACEEXIT)"
            }
        }
    }

    /// What to capture.
    public struct Selection: Equatable, Sendable {
        /// The fds to take. Nil: every fd open at exit that a handler takes;
        /// the others (pipes, sockets, stdio) are passed over quietly
        /// (``CapturedExit/skipped``). A list: exactly those fds, each that
        /// cannot be taken a failure (``CapturedExit/failures``). An empty
        /// list is refused; the module takes at most
        /// ``KmodExitCapture/maxFds``.
        public var fds: [Int32]?
        /// Also the files behind the process's shared file mappings
        /// (buffers it mapped and may have closed): the module's
        /// REMOTEFD_WATCH_MAPS, or ``MapFilesCapture`` at the ptrace exit
        /// stop (/proc/PID/map_files: CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE).
        public var maps: Bool
        /// Only buffers of these handler types (`"memfd"`, `"shm"`, ...);
        /// nil: any type ``ExitCapture/handlers`` knows. A type the
        /// registry does not know is refused. A buffer of another type is
        /// treated as no buffer at all: skipped, or a failure when named
        /// in ``fds``.
        public var types: Set<String>?

        public init(fds: [Int32]? = nil, maps: Bool = false, types: Set<String>? = nil) {
            self.fds = fds
            self.maps = maps
            self.types = types
        }
    }

    /// What ``run(progress:)`` reports while it runs, before the process
    /// exits.
    public enum Progress {
        /// A remark about a choice made (also kept in ``CapturedExit/notes``):
        /// a module that exists but cannot capture, so ptrace is used.
        case note(String)
        /// The capture is armed with this method: from now on the process's
        /// exit is captured. Reported once, before waiting.
        case armed(Method)
    }

    /// Arms the capture, waits for the process to exit and returns what was
    /// captured. Blocks the calling thread until then (see ``ExitCapture``).
    ///
    /// Throws, before anything is captured, when the capture cannot be
    /// armed: no such process, not allowed, already traced (ptrace), the
    /// module asked for and unusable, an empty ``Selection/fds`` or an
    /// unknown ``Selection/types`` entry. Once armed, whatever goes wrong
    /// is in ``CapturedExit/failures``, except a process that ends without
    /// reaching its exit stop (ptrace; it cannot happen short of the
    /// tracer being detached), which throws.
    public func run(progress: (Progress) -> Void = { _ in }) throws(AdoptError) -> CapturedExit {
        let registry = try selectedHandlers()
        if let fds = selection.fds, fds.isEmpty {
            throw AdoptError(pid: pid, fd: nil, reason: .other, errno: .invalidArgument,
                             "no fds to capture: name at least one, or none for every buffer")
        }
        var notes: [String] = []
        func note(_ text: String) {
            notes.append(text)
            progress(.note(text))
        }
        var result: CapturedExit
        var module = try moduleCapture(note: note)
        if module != nil, backend == .auto, selection.maps, let kept = keptOnlyAtTheStop(registry) {
            note("\(kept): capturing with ptrace")
            module = nil
        }
        if let module {
            result = try capture(with: module, handlers: registry, progress: progress, note: note)
        } else {
            result = try captureWithPtrace(handlers: registry, progress: progress)
        }
        result.notes = notes + result.notes
        return result
    }

    /// Why the module's capture would lose a buffer the process maps now,
    /// when it would: one whose handler takes it its own way
    /// (`MappingAlternative`: a System V segment, attached by id at the
    /// ptrace exit stop). The module captures the mapping's own file,
    /// which the kernel refuses to map once the segment is destroyed with
    /// its last attachment. Nil when nothing mapped needs the exit stop.
    private func keptOnlyAtTheStop(_ handlers: HandlerRegistry) -> String? {
        let claims = MappingClaims(handlers)
        for m in MapsReader().mappings(pid: pid, claims: claims) ?? [] {
            guard let type = m.type, let handler = handlers.handler(type: type), handler is any MappingAlternative
            else { continue }
            return "pid \(pid) maps \(handler.displayName) at 0x\(String(m.start, radix: 16)), which is kept only at the exit stop (the module would capture a file the kernel no longer maps once the segment is gone)"
        }
        return nil
    }

    /// ``handlers``, restricted to ``Selection/types``.
    private func selectedHandlers() throws(AdoptError) -> HandlerRegistry {
        guard let types = selection.types else { return handlers }
        for type in types.sorted() where handlers.handler(type: type) == nil {
            throw AdoptError(pid: pid, fd: nil, reason: .unknownType(type), errno: .invalidArgument,
                             "unknown type '\(type)' (known: \(handlers.types.joined(separator: ", ")))")
        }
        return HandlerRegistry(handlers.handlers.filter { types.contains($0.type) })
    }

    /// The module's capture for `BackendChoice.kmod`, or for
    /// `BackendChoice.auto` when the module can be opened and can capture
    /// (`Backends.choose`'s policy: no module, no word; a module we cannot
    /// use, one note); nil for ptrace.
    private func moduleCapture(note: (String) -> Void) throws(AdoptError) -> KmodExitCapture? {
        switch backend {
        case .kmod:
            do {
                return try KmodExitCapture()
            } catch {
                var named = error
                named.pid = pid
                throw named
            }
        case .auto:
            do {
                let capture = try KmodExitCapture()
                logger.info("watch: capturing through the module (REMOTEFD_IOC_WATCH)")
                return capture
            } catch {
                logger.info("watch: the module cannot capture (\(error.detail)): capturing with ptrace")
                if error.errno != .noSuchFileOrDirectory {
                    note("\(error.detail): capturing with ptrace")
                }
                return nil
            }
        case .pidfd, .procfs:
            return nil
        }
    }

    /// The module takes the files at exit; the process is not stopped and
    /// may have a tracer of its own.
    private func capture(with module: KmodExitCapture, handlers: HandlerRegistry, progress: (Progress) -> Void,
                         note: (String) -> Void) throws(AdoptError) -> CapturedExit {
        let target = try TargetProcess(pid: pid)
        if let pidfd = target.pidfd {
            try module.arm(pidfd: pidfd, pid: pid, fds: selection.fds, maps: selection.maps)
        } else {
            try module.arm(pid: pid, fds: selection.fds, maps: selection.maps)
        }
        if !mappingCapturers.isEmpty {
            note("the module captures without stopping the process: \(mappingCapturers.count) exit-stop hook(s) not run (the ptrace method, backend pidfd or procfs, runs them)")
        }
        progress(.armed(.module))
        return module.collectUntilExit(pid: pid, requested: selection.fds, handlers: handlers)
    }

    /// Attach, wait and detach on this thread: ptrace belongs to the thread
    /// that attached.
    private func captureWithPtrace(handlers: HandlerRegistry, progress: (Progress) -> Void) throws(AdoptError) -> CapturedExit {
        let tracer = try PtraceExitCapture(pid: pid)
        progress(.armed(.ptrace))
        // Any note about the module was given already.
        let adopter = Adopter(handlers: handlers, backend: Backends.choose(backend, logger: logger).backend, logger: logger)
        let hooks: [any ExitMappingCapture] = (selection.maps ? [MapFilesCapture()] : []) + mappingCapturers
        let fds = selection.fds
        var captured = CapturedBuffers()
        let exit = try tracer.waitForExit { target in
            captured = PtraceExitCapture.capture(from: target, fds: fds, adopter: adopter)
            for hook in hooks {
                captured.append(hook.capture(at: ExitStop(target: target, adopter: adopter, captured: captured.buffers)))
            }
        }
        var result = CapturedExit(pid: pid, method: .ptrace, termination: exit.termination)
        result.append(captured)
        return result
    }
}
