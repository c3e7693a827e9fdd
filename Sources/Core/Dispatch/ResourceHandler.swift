/// The plug-in point: one handler per kind of resource (memfd, shm, dma-buf,
/// or anything a program registers). Core never names a handler.
public protocol ResourceHandler {
    /// The identifier `--type` takes and JSON reports: "memfd", "shm", "dmabuf".
    var type: String { get }
    /// How messages name it: "a memfd", "a dma-buf".
    var displayName: String { get }
    /// Whether `file` is this handler's kind. Called for every candidate in
    /// registration order: decide from the cheap facts first (fstatfs magic,
    /// file type) and read the link or fdinfo only when they are not enough.
    func probe(_ file: AdoptedFile) -> Bool
    /// The resource's own fields (Core adds pid, fd, backend, inode, size).
    func describe(_ file: AdoptedFile) -> Description
    /// Maps the resource and gives bounded, fault-safe reads of it.
    func open(_ file: AdoptedFile, options: AccessOptions) throws(AdoptError) -> any BufferAccess
    /// One short column for `adopt list` from this handler's description
    /// ("seals=shrink,grow", "0600 alice", "exporter=drm").
    func listDetail(_ description: Description) -> String
    /// A description key `adopt list` totals sizes by, beside the per-type
    /// totals ("exporter" for dma-bufs); nil for none.
    var totalsKey: String? { get }
}

extension ResourceHandler {
    public func listDetail(_ description: Description) -> String { "" }
    public var totalsKey: String? { nil }
}

/// How an adopter wants to use a resource.
public struct AccessOptions: Sendable {
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
