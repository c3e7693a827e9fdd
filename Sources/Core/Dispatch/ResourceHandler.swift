// SPDX-License-Identifier: Apache-2.0
/// The plug-in point: one handler per kind of resource (memfd, shm, dma-buf,
/// or anything a program registers). RemoteFD never names a handler; a
/// handler needs nothing but this library (`AdoptedFile`'s facts,
/// `FilesystemMagic`, `Description`, `FileBufferAccess` for files).
///
/// # The contract
///
/// - **`type` is unique** in a registry: it is what `--type` and JSON name.
///   `HandlerRegistry` refuses a second handler with the same type.
/// - **`probe` has no side effects.** It is called for every candidate fd,
///   in registration order, until one handler accepts; the same fd may be
///   probed by every handler. It may read `AdoptedFile`'s facts (which
///   cache themselves) but must not read from the file, change its offset,
///   flags or seals, or keep it. Decide from the cheap facts first
///   (`filesystemMagic`, `stat`) and read `link` or `fdinfo` only when they
///   are not enough: `adopt list` probes every fd of every process.
/// - **`describe` adds the resource's own fields.** The library owns the
///   keys in `Description.coreKeys` (pid, fd, type, via, inode, size,
///   access, note, mapping) and sets them itself; a handler's field with one of those
///   keys is dropped (and stops a debug build). The CLI adds "map" and
///   "preview_*" keys: avoid those too.
/// - **`name` is read by others**: if the resource has a name, put it under
///   the key "name" (`.null` if it has none): `adopt list` shows it in its
///   NAME column and `adopt --follow` in its first line.
/// - **`open` maps** the resource with the options given (refusing, with an
///   `AdoptError` that says why, what the fd or its seals do not allow) and
///   returns a `BufferAccess` whose reads are bounded and fault-safe.
/// - Errors name the adopted fd: `AdoptError(file, …)`.
///
/// How `adopt list` presents a handler's resources is not part of this
/// contract: see `ResourceListing`.
public protocol ResourceHandler: Sendable {
    /// The identifier `--type` takes and JSON reports: "memfd", "shm",
    /// "dmabuf". Unique in a registry.
    var type: String { get }
    /// How messages name it: "a memfd", "a dma-buf".
    var displayName: String { get }
    /// Whether `file` is this handler's kind. No side effects (see above).
    func probe(_ file: AdoptedFile) -> Bool
    /// The resource's own fields; never one of `Description.coreKeys`.
    func describe(_ file: AdoptedFile) -> Description
    /// Maps the resource and gives bounded, fault-safe reads of it.
    func open(_ file: AdoptedFile, options: AccessOptions) throws(AdoptError) -> any BufferAccess
}

/// How options ask a handler to map.
public struct AccessOptions: Sendable, Equatable {
    /// Map read-write (only if the fd allows it and no seal forbids it).
    public var writable = false
    /// Add F_SEAL_SHRINK where sealing is allowed, so the owner cannot
    /// truncate the file under our mapping.
    public var sealShrink = false
    /// Wait for pending device writes before reading (dma-buf).
    public var waitForDevice = false

    public init(writable: Bool = false, sealShrink: Bool = false, waitForDevice: Bool = false) {
        self.writable = writable
        self.sealShrink = sealShrink
        self.waitForDevice = waitForDevice
    }
}
