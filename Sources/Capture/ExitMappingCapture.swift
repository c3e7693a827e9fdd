// SPDX-License-Identifier: Apache-2.0
import RemoteFD

/// A way of taking, at the ptrace exit stop, resources of the exiting
/// process that are not among its fds: buffers it only has mapped.
///
/// ``ExitCapture`` calls its ``ExitCapture/mappingCapturers`` at the exit
/// stop, after the fds (and, with ``ExitCapture/Selection/maps``, the files
/// behind the shared mappings: ``MapFilesCapture``), in order. The process
/// is stopped in do_exit: its fd table and address space are intact
/// (/proc/PID/maps, map_files and the ids of what it attached can still be
/// read), and it stays there until every hook has returned, so a hook must
/// not block for long. A hook reports what it could not take as failures
/// or skips; it does not throw.
///
/// Hooks run with the ptrace method only: the module captures without
/// stopping the process, so with ``ExitCapture/Method/module`` they are not
/// called and ``CapturedExit/notes`` says so.
///
/// A kind that is no fd and no file mapping — a System V shared memory
/// segment, attached by its shmid as /proc/PID/maps names it — is captured
/// by a conforming type: read ``ExitStop/target``'s maps, take the
/// resource, identify it with ``ExitStop/handlers`` and return the
/// `Adoption`s; skip what ``ExitStop/hasCaptured(device:inode:)`` says
/// is already there.
public protocol ExitMappingCapture {
    /// Takes what this hook is for from the process stopped at its exit.
    func capture(at stop: ExitStop) -> CapturedBuffers
}

/// What an ``ExitMappingCapture`` hook gets at the ptrace exit stop.
public struct ExitStop {
    /// The exiting process, stopped before its fds are closed and its
    /// memory unmapped. Holds a pidfd where the kernel has pidfd_open.
    public let target: TargetProcess
    /// Takes fds and mappings with the backend the capture uses and
    /// identifies them with its handlers.
    public let adopter: Adopter
    /// What was captured at this stop before the hook: the fds, then what
    /// earlier hooks took.
    public let captured: [Adoption]

    /// The handlers that identify what is captured (`adopter.handlers`).
    public var handlers: HandlerRegistry { adopter.handlers }

    public init(target: TargetProcess, adopter: Adopter, captured: [Adoption]) {
        self.target = target
        self.adopter = adopter
        self.captured = captured
    }

    /// Whether the file (device, inode) is already among ``captured``: a
    /// buffer is captured once.
    public func hasCaptured(device: UInt64, inode: UInt64) -> Bool {
        captured.contains { $0.file.device == device && $0.file.inode == inode }
    }
}

/// The files behind the exiting process's shared file mappings, through
/// /proc/PID/map_files (CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE): what
/// ``ExitCapture/Selection/maps`` asks for with the ptrace method.
///
/// Those a handler takes are captured; the others (a shared library, a
/// font) are skipped quietly, while a buffer (a mapping a handler claims)
/// that cannot be taken is a failure. A file already captured (by
/// an fd, or by another mapping) is not taken again.
public struct MapFilesCapture: ExitMappingCapture {
    public init() {}

    public func capture(at stop: ExitStop) -> CapturedBuffers {
        let target = stop.target
        var result = CapturedBuffers()
        let claims = MappingClaims(stop.handlers)
        guard let maps = MapsReader().mappings(pid: target.pid, claims: claims, all: true) else {
            result.failures.append(AdoptError(pid: target.pid, fd: nil, reason: .other, errno: .current,
                                              "cannot read the maps of the exiting process"))
            return result
        }
        var seen = Set(stop.captured.map { [$0.file.device, $0.file.inode] })
        // map_files, or the claiming handler's own way where it is refused
        // (a System V segment attached by the shmid of its maps line).
        let mapFiles = Adopter(handlers: stop.handlers, backend: ProcfsBackend(), logger: stop.adopter.logger)
        for m in maps where m.isShared && m.hasFile && !m.path.hasPrefix("[") {
            guard seen.insert([m.device, m.inode]).inserted else { continue }
            do {
                result.buffers.append(try mapFiles.adopt(mapping: .address(m.start), of: target))
            } catch {
                // Not a buffer (a shared library, a font): quietly skipped;
                // a refused buffer is reported.
                if m.type != nil { result.failures.append(error) } else { result.skipped.append(error) }
            }
        }
        return result
    }
}
