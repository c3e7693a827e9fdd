// SPDX-License-Identifier: Apache-2.0
import RemoteFD
import SystemPackage

extension KmodExitCapture {
    /// Waits for the final event of the watch on `pid` and identifies every
    /// captured file with `handlers`. Files no handler takes are closed;
    /// they count as failures only when `requested` named them (else they
    /// are ``CapturedExit/skipped``). A buffer captured by an fd and by a
    /// mapping, or by two mappings, is kept once (the fd's capture): the
    /// module reports every mapping.
    public func collectUntilExit(pid: Int32, requested: [Int32]?, handlers: HandlerRegistry) -> CapturedExit {
        var result = CapturedExit(pid: pid, method: .module, termination: .collectionFailed)
        collectEvents(pid: pid, requested: requested, handlers: handlers, into: &result)
        result.buffers = Self.withoutDuplicateMappings(result.buffers)
        return result
    }

    private func collectEvents(pid: Int32, requested: [Int32]?, handlers: HandlerRegistry, into result: inout CapturedExit) {
        while true {
            let event: Event?
            do {
                event = try collect()
            } catch {
                result.failures.append(error)
                result.termination = .collectionFailed
                return
            }
            guard let event else {
                _ = wait(timeoutMilliseconds: -1)
                continue
            }
            switch event {
            case .file(_, let fd, let descriptor):
                identify(descriptor, pid: pid, fd: fd, requested: requested, handlers: handlers, into: &result)
            case .notOpen(_, let fd):
                result.failures.append(AdoptError(pid: pid, fd: fd, reason: .fdNotOpen, errno: .badFileDescriptor,
                                                  "fd \(fd) was not open when process \(pid) exited"))
            case .mapping(_, let start, let end, let descriptor):
                identifyMapping(descriptor, pid: pid, start: start, end: end, handlers: handlers, into: &result)
            case .skipped(_, let fd):
                result.skipped.append(AdoptError(pid: pid, fd: fd, reason: .other,
                                                 "a kind the module never captures (a socket, a device, an anonymous inode)"))
            case .unknown:
                break
            case .exited(_, _, let lost):
                result.termination = .exitedStatusUnknown
                if lost > 0 {
                    result.failures.append(AdoptError(pid: pid, fd: nil, reason: .other, errno: .noMemory,
                                                      "the module could not keep \(lost) of the files at exit"))
                }
                return
            case .denied:
                result.termination = .denied
                result.failures.append(AdoptError(pid: pid, fd: nil, reason: .permissionDenied, errno: .notPermitted,
                                                  "not captured: the process exec'd, changed credentials or became non-dumpable after the watch was armed"))
                return
            }
        }
    }

    /// A buffer captured by an fd and by a mapping (or by two mappings) is
    /// kept once: the fd's capture, else the first mapping's.
    static func withoutDuplicateMappings(_ adopted: [Adoption]) -> [Adoption] {
        var seen = Set(adopted.filter { $0.file.mapping == nil }.map { [$0.file.device, $0.file.inode] })
        return adopted.filter { $0.file.mapping == nil || seen.insert([$0.file.device, $0.file.inode]).inserted }
    }

    /// A mapping's file: kept when a handler takes it (a shared mapping of
    /// a library or a font is not a buffer: closed, and only listed as
    /// skipped).
    private func identifyMapping(_ descriptor: FileDescriptor, pid: Int32, start: UInt64, end: UInt64,
                                 handlers: HandlerRegistry, into result: inout CapturedExit) {
        guard let file = try? AdoptedFile(descriptor: descriptor, pid: pid, origin: .mapping(start), backendName: "kmod") else {
            try? descriptor.close()
            return
        }
        file.mapping = ProcessMapping(start: start, end: end, perms: "---s", offset: 0,
                                      device: file.device, inode: file.inode, path: "")
        if let adoption = Adoption.identify(file, handlers: handlers) {
            result.buffers.append(adoption)
        } else {
            result.skipped.append(AdoptError(pid: pid, fd: nil, reason: .notAdoptable(kind: FileKind.describe(file)),
                                             "not an adoptable buffer: \(FileKind.describe(file))", address: start))
        }
    }

    private func identify(_ descriptor: FileDescriptor, pid: Int32, fd: Int32, requested: [Int32]?,
                          handlers: HandlerRegistry, into result: inout CapturedExit) {
        guard let file = try? AdoptedFile(descriptor: descriptor, pid: pid, fd: fd, backendName: "kmod") else {
            try? descriptor.close()
            return
        }
        if let adoption = Adoption.identify(file, handlers: handlers) {
            result.buffers.append(adoption)
        } else {
            let error = AdoptError(pid: pid, fd: fd, reason: .notAdoptable(kind: FileKind.describe(file)),
                                   "not an adoptable buffer: \(FileKind.describe(file))")
            if requested != nil { result.failures.append(error) } else { result.skipped.append(error) }
        }
    }
}
