import Glibc
import SystemPackage

/// The library's entry point: acquire an fd from another process through a
/// backend, identify it with the registered handlers, validate it.
///
///     let adopter = Adopter(handlers: HandlerRegistry([MemfdHandler(), ShmHandler()]))
///     let adoption = try adopter.adopt(pid: 1234, fd: 3)
///     let access = try adoption.open()
public struct Adopter {
    public var handlers: HandlerRegistry
    public var backend: any AcquisitionBackend

    public init(handlers: HandlerRegistry, via choice: BackendChoice = .auto) {
        self.handlers = handlers
        self.backend = Backends.resolve(choice)
    }

    public init(handlers: HandlerRegistry, backend: any AcquisitionBackend) {
        self.handlers = handlers
        self.backend = backend
    }

    /// Takes `fd` of `pid`. With `type`, anything else is refused with the
    /// actual kind named ("fd 3 of pid 1234 is a memfd, not a dma-buf").
    public func adopt(pid: pid_t, fd: Int32, type: String? = nil) throws(AdoptError) -> Adoption {
        let target = try TargetProcess(pid: pid, forFD: fd)
        return try adopt(fd: fd, of: target, type: type)
    }

    public func adopt(fd: Int32, of target: TargetProcess, type: String? = nil) throws(AdoptError) -> Adoption {
        var requested: (any ResourceHandler)?
        if let type {
            guard let handler = handlers.handler(type: type) else {
                throw AdoptError(pid: target.pid, fd: fd, reason: .unknownType(type), errno: .invalidArgument,
                                 "unknown type '\(type)' (known: \(handlers.types.joined(separator: ", ")))")
            }
            requested = handler
        }
        let raw = try backend.acquire(fd: fd, of: target)
        let file: AdoptedFile
        do {
            file = try AdoptedFile(descriptor: raw, pid: target.pid, fd: fd,
                                   backendName: backend.name, backendNote: backend.semanticsNote)
            file.backendPath = backend.lastPath
        } catch {
            try? raw.close()
            throw AdoptError(pid: target.pid, fd: fd, reason: .other, errno: error, "fstat of the adopted fd failed")
        }
        return try identify(file, of: target, fd: fd, requested: requested)
    }

    /// The file behind a mapping of `target` (`adopt PID --map ADDR`):
    /// through the module's GETMAP or /proc/PID/map_files (`MapAcquisition`;
    /// `via` pidfd is refused: pidfd_getfd takes fds only), then identified
    /// like an fd. `file.fd` is -1 and `file.mapping` the mapping.
    public func adopt(mapping selector: MappingSelector, of target: TargetProcess, via choice: BackendChoice,
                      type: String? = nil) throws(AdoptError) -> Adoption {
        var requested: (any ResourceHandler)?
        if let type {
            guard let handler = handlers.handler(type: type) else {
                throw AdoptError(pid: target.pid, fd: nil, reason: .unknownType(type), errno: .invalidArgument,
                                 "unknown type '\(type)' (known: \(handlers.types.joined(separator: ", ")))")
            }
            requested = handler
        }
        let kmod = backend as? KmodBackend ?? KmodBackend()
        let mapped = try MapAcquisition.acquire(selector, of: target, via: choice, kmod: kmod)
        let file: AdoptedFile
        do {
            file = try AdoptedFile(descriptor: mapped.descriptor, pid: target.pid, fd: -1,
                                   backendName: mapped.backendName, backendNote: nil)
            file.backendPath = mapped.backendPath
            file.mapping = mapped.mapping
        } catch {
            try? mapped.descriptor.close()
            throw AdoptError(pid: target.pid, fd: nil, reason: .other, errno: error, "fstat of the adopted file failed",
                             address: mapped.mapping.start)
        }
        do {
            return try identify(file, of: target, fd: -1, requested: requested)
        } catch {
            var e = error
            e.fd = nil
            e.address = mapped.mapping.start
            e.message = e.message.replacing("fd -1 of pid \(target.pid)", with: "the mapping \(mapped.mapping.range) of pid \(target.pid)")
            throw e
        }
    }

    private func identify(_ file: AdoptedFile, of target: TargetProcess, fd: Int32,
                          requested: (any ResourceHandler)?) throws(AdoptError) -> Adoption {
        guard let handler = handlers.handler(for: file) else {
            let kind = FileKind.describe(file)
            if let requested {
                throw AdoptError(pid: target.pid, fd: fd, reason: .typeMismatch(actual: kind, requested: requested.type),
                                 "fd \(fd) of pid \(target.pid) is a \(kind), not \(requested.displayName)")
            }
            throw AdoptError(pid: target.pid, fd: fd, reason: .notAdoptable(kind: kind),
                             "not an adoptable buffer: \(kind)")
        }
        if let requested, requested.type != handler.type {
            throw AdoptError(pid: target.pid, fd: fd, reason: .typeMismatch(actual: handler.type, requested: requested.type),
                             "fd \(fd) of pid \(target.pid) is \(handler.displayName), not \(requested.displayName)")
        }
        return Adoption(file: file, handler: handler)
    }
}

/// An adopted, identified resource.
public struct Adoption {
    public let file: AdoptedFile
    public let handler: any ResourceHandler

    /// Fds that did not come from a backend — received from a keeper, over
    /// SCM_RIGHTS, or from the module at a process's exit — identified by
    /// the same handlers. Nil when none takes `file` (FileKind.describe(file)
    /// says what it is).
    public static func identify(_ file: AdoptedFile, handlers: HandlerRegistry) -> Adoption? {
        handlers.handler(for: file).map { Adoption(file: file, handler: $0) }
    }

    public var type: String { handler.type }

    /// The common fields, then the handler's own.
    public func describe() -> Description {
        var d = Description()
        d.append("pid", file.pid)
        if let mapping = file.mapping {
            d.append("mapping", "0x\(String(mapping.start, radix: 16))-0x\(String(mapping.end, radix: 16)) \(mapping.perms)")
        } else {
            d.append("fd", file.fd)
        }
        d.append("type", handler.type)
        d.append("via", file.via)
        d.append("inode", file.inode)
        d.append("size", file.currentSize)
        d.append("access", file.accessMode == O_RDWR ? "read-write" : file.accessMode == O_WRONLY ? "write-only" : "read-only")
        for field in handler.describe(file).fields {
            // The library's keys are its own (ResourceHandler's contract).
            guard !Description.coreKeys.contains(field.key) else {
                assertionFailure("handler '\(handler.type)' described the library's key '\(field.key)'")
                continue
            }
            d.append(field.key, field.value)
        }
        if let note = file.backendNote { d.append("note", note) }
        return d
    }

    public func open(_ options: AccessOptions = AccessOptions()) throws(AdoptError) -> any BufferAccess {
        try handler.open(file, options: options)
    }
}
