// SPDX-License-Identifier: Apache-2.0
import Glibc
import Logging
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
    /// Where its decisions are logged (silent by default).
    public var logger: Logger

    public init(handlers: HandlerRegistry, via choice: BackendChoice = .auto, logger: Logger = .silent) {
        self.handlers = handlers
        self.backend = Backends.choose(choice, logger: logger).backend
        self.logger = logger
    }

    public init(handlers: HandlerRegistry, backend: any AcquisitionBackend, logger: Logger = .silent) {
        self.handlers = handlers
        self.backend = backend
        self.logger = logger
    }

    /// Takes `fd` of `pid`. With `type`, anything else is refused with the
    /// actual kind named ("pid 1234 fd 3: it is a memfd, not a dma-buf").
    public func adopt(pid: pid_t, fd: Int32, type: String? = nil) throws(AdoptError) -> Adoption {
        let target = try TargetProcess(pid: pid, forFD: fd)
        return try adopt(fd: fd, of: target, type: type)
    }

    public func adopt(fd: Int32, of target: TargetProcess, type: String? = nil) throws(AdoptError) -> Adoption {
        let requested = try requestedHandler(type, pid: target.pid, origin: .fd(fd))
        let acquired = try backend.acquire(fd: fd, of: target)
        let file: AdoptedFile
        do {
            file = try AdoptedFile(descriptor: acquired.descriptor, pid: target.pid, origin: .fd(fd),
                                   backendName: backend.name, backendNote: backend.semanticsNote)
            file.backendPath = acquired.path
        } catch {
            try? acquired.descriptor.close()
            throw AdoptError(pid: target.pid, fd: fd, reason: .other, errno: error, "fstat of the adopted fd failed")
        }
        return try identify(file, requested: requested)
    }

    /// The file behind a mapping of `target` (`adopt PID --map ADDR`):
    /// through the backend, which must take mappings
    /// (`MappingAcquisitionBackend`: the module's GETMAP, map_files), then
    /// identified like an fd; `file.origin` is `.mapping` and
    /// `file.mapping` the mapping. Where the backend may not hand out the
    /// file and the handler claiming the mapping has a way of its own
    /// (`MappingAlternative`), that way is taken, and the origin is what
    /// it says (`.ipc` for a segment attached by id).
    public func adopt(mapping selector: MappingSelector, of target: TargetProcess,
                      type: String? = nil) throws(AdoptError) -> Adoption {
        let claims = MappingClaims(handlers)
        let address = try MapAcquisition.address(selector, of: target, claims: claims)
        let requested = try requestedHandler(type, pid: target.pid, origin: .mapping(address))
        let file: AdoptedFile
        do throws(AdoptError) {
            file = try mappedFile(at: address, of: target, claims: claims)
        } catch {
            guard let alternative = try alternative(at: address, of: target, claims: claims, refused: error) else { throw error }
            file = alternative
        }
        return try identify(file, requested: requested)
    }

    /// The file behind the mapping at `address`, through the backend.
    private func mappedFile(at address: UInt64, of target: TargetProcess, claims: MappingClaims) throws(AdoptError) -> AdoptedFile {
        let mapped = try MapAcquisition.acquire(.address(address), of: target, backend: backend, claims: claims)
        do {
            let file = try AdoptedFile(descriptor: mapped.descriptor, pid: target.pid, origin: .mapping(mapped.mapping.start),
                                       backendName: mapped.backendName, backendNote: nil)
            file.backendPath = mapped.backendPath
            file.mapping = mapped.mapping
            return file
        } catch {
            try? mapped.descriptor.close()
            throw AdoptError(pid: target.pid, fd: nil, reason: .other, errno: error, "fstat of the adopted file failed",
                             address: mapped.mapping.start)
        }
    }

    /// The resource of `type` with id `id` (`adopt sysv SHMID`): no
    /// process named, no backend; the handler (`IdentifiedResources`)
    /// reads its facts, and maps it under the kernel's own permission
    /// check when the adoption is opened.
    public func adopt(id: Int32, type: String) throws(AdoptError) -> Adoption {
        guard let handler = handlers.handler(type: type) else {
            throw AdoptError(pid: nil, origin: nil, reason: .unknownType(type), errno: .invalidArgument,
                             "unknown type '\(type)' (known: \(handlers.types.joined(separator: ", ")))")
        }
        guard let source = handler as? any IdentifiedResources else {
            throw AdoptError(pid: nil, origin: nil, reason: .other, errno: .invalidArgument,
                             "\(handler.displayName) cannot be taken by id, only from a process")
        }
        return try identify(try source.adopt(id: id), requested: handler)
    }

    /// The resource behind the mapping at `address` taken the claiming
    /// handler's own way, when the backend refused the file (`refused`)
    /// for a reason that way may not share (permission, a backend without
    /// mappings); nil when no handler has one.
    private func alternative(at address: UInt64, of target: TargetProcess, claims: MappingClaims,
                             refused: AdoptError) throws(AdoptError) -> AdoptedFile? {
        switch refused.reason {
        case .permissionDenied, .backendUnavailable, .cannotReopen: break
        default: return nil
        }
        guard let maps = MapsReader().mappings(pid: target.pid, claims: claims, all: true),
              let mapping = maps.first(where: { $0.start <= address && address < $0.end }),
              let type = mapping.type,
              let handler = handlers.handler(type: type) as? any MappingAlternative else { return nil }
        logger.info("map: \(refused.detail); taking it as \(handler.displayName) instead")
        do {
            return try handler.adopt(mapping: mapping, of: target)
        } catch {
            var e = error
            e.hints.append("before that: \(refused.detail)")
            throw e
        }
    }

    private func requestedHandler(_ type: String?, pid: pid_t, origin: BufferOrigin) throws(AdoptError) -> (any ResourceHandler)? {
        guard let type else { return nil }
        guard let handler = handlers.handler(type: type) else {
            throw AdoptError(pid: pid, origin: origin, reason: .unknownType(type), errno: .invalidArgument,
                             "unknown type '\(type)' (known: \(handlers.types.joined(separator: ", ")))")
        }
        return handler
    }

    /// `file` identified by the registered handlers; with `requested`,
    /// anything else is refused.
    public func identify(_ file: AdoptedFile, requested: (any ResourceHandler)? = nil) throws(AdoptError) -> Adoption {
        guard let handler = handlers.handler(for: file) else {
            let kind = FileKind.describe(file)
            if let requested {
                throw AdoptError(file, reason: .typeMismatch(actual: kind, requested: requested.type),
                                 "it is a \(kind), not \(requested.displayName)")
            }
            throw AdoptError(file, reason: .notAdoptable(kind: kind), "not an adoptable buffer: \(kind)")
        }
        if let requested, requested.type != handler.type {
            throw AdoptError(file, reason: .typeMismatch(actual: handler.type, requested: requested.type),
                             "it is \(handler.displayName), not \(requested.displayName)")
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
        if let pid = file.pid { d.append("pid", pid) }
        switch file.origin {
        case .fd(let fd):
            d.append("fd", fd)
        case .mapping(let start):
            let m = file.mapping
            d.append("mapping", m.map { "0x\(String($0.start, radix: 16))-0x\(String($0.end, radix: 16)) \($0.perms)" }
                     ?? "0x" + String(start, radix: 16))
        case .ipc, .received:
            break  // the handler describes its own ids; a keeper's name is the caller's
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
