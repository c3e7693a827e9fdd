// SPDX-License-Identifier: Apache-2.0
import RemoteFD
import SystemPackage

extension KmodExitCapture {
    /// What one armed process left behind.
    public struct Collection {
        public var adopted: [Adoption] = []
        public var failures: [AdoptError] = []
        /// "exited", or why nothing was captured.
        public var outcome = ""
    }

    /// Waits for the final event of the watch on `pid` and identifies every
    /// captured file with `handlers`. Files no handler takes are closed;
    /// they count as failures only when `requested` named them.
    public func collectUntilExit(pid: Int32, requested: [Int32]?, handlers: HandlerRegistry) -> Collection {
        var result = Collection()
        while true {
            let event: Event?
            do {
                event = try collect()
            } catch {
                result.failures.append(error)
                result.outcome = "collection failed"
                return result
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
            case .skipped, .unknown:
                break
            case .exited(_, _, let lost):
                result.outcome = "exited"
                if lost > 0 {
                    result.failures.append(AdoptError(pid: pid, fd: nil, reason: .other, errno: .noMemory,
                                                      "the module could not keep \(lost) of the files at exit"))
                }
                return result
            case .denied:
                result.outcome = "exited after exec or a credential change since arming: nothing captured"
                result.failures.append(AdoptError(pid: pid, fd: nil, reason: .permissionDenied, errno: .notPermitted,
                                                  "not captured: the process exec'd, changed credentials or became non-dumpable after the watch was armed"))
                return result
            }
        }
    }

    /// A mapping's file: kept when a handler takes it (a shared mapping of
    /// a library or a font is not a buffer: closed quietly).
    private func identifyMapping(_ descriptor: FileDescriptor, pid: Int32, start: UInt64, end: UInt64,
                                 handlers: HandlerRegistry, into result: inout Collection) {
        guard let file = try? AdoptedFile(descriptor: descriptor, pid: pid, origin: .mapping(start), backendName: "kmod") else {
            try? descriptor.close()
            return
        }
        file.mapping = ProcessMapping(start: start, end: end, perms: "---s", offset: 0,
                                      device: file.device, inode: file.inode, path: "")
        if let adoption = Adoption.identify(file, handlers: handlers) { result.adopted.append(adoption) }
    }

    private func identify(_ descriptor: FileDescriptor, pid: Int32, fd: Int32, requested: [Int32]?,
                          handlers: HandlerRegistry, into result: inout Collection) {
        guard let file = try? AdoptedFile(descriptor: descriptor, pid: pid, fd: fd, backendName: "kmod") else {
            try? descriptor.close()
            return
        }
        if let adoption = Adoption.identify(file, handlers: handlers) {
            result.adopted.append(adoption)
        } else if requested != nil {
            result.failures.append(AdoptError(pid: pid, fd: fd, reason: .notAdoptable(kind: FileKind.describe(file)),
                                              "not an adoptable buffer: \(FileKind.describe(file))"))
        }
    }
}
