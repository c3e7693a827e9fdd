// SPDX-License-Identifier: Apache-2.0
import Glibc

/// Ways a handler may take its resources other than from an fd, each
/// optional. RemoteFD calls them without knowing what the resource is.

/// A handler whose buffer behind a mapping can be taken without the
/// mapping's file, when the backend may not hand that file out (no
/// CAP_CHECKPOINT_RESTORE for GETMAP or map_files, a backend that takes
/// fds only): a System V segment is attached by the id its maps line
/// gives, under the kernel's own IPC permission check.
///
/// `Adopter.adopt(mapping:)` asks the handler whose `MappingClaim`
/// matches the mapping, after the backend refused it. The file returned
/// is then probed like any other, so the handler's `probe` must take it.
public protocol MappingAlternative: ResourceHandler {
    /// The resource behind `mapping` of `target`, taken now and held
    /// (`AdoptedFile.holding`) as an fd would hold it: a caller may open it
    /// after the process is gone. Errors name the mapping or the id.
    func adopt(mapping: ProcessMapping, of target: TargetProcess) throws(AdoptError) -> AdoptedFile
    /// The resource's facts without taking it (no descriptor, nothing
    /// attached), for `adopt list` when the backend refused the file; nil
    /// when they cannot be read.
    func facts(of mapping: ProcessMapping, pid: pid_t) -> AdoptedFile?
}

/// A handler whose resources have system-wide ids of their own and can
/// be taken by id, with no process named (`adopt sysv SHMID`), and which
/// can list those no process holds (`adopt list --all`).
public protocol IdentifiedResources: ResourceHandler {
    /// What the ids are called in messages and `BufferOrigin.ipc` ("shmid").
    var idName: String { get }
    /// The resource with id `id`, taken under the kernel's own permission
    /// check and held (`AdoptedFile.holding`) as an fd would hold it.
    func adopt(id: Int32) throws(AdoptError) -> AdoptedFile
    /// Whether a process with `uid` and `gid` may take `id` (for a server,
    /// the keeper, taking it for a client): never more than the kernel allows.
    func allows(uid: uid_t, gid: gid_t, id: Int32) -> Bool
    /// Rows for the resources that exist but that no process holds (a
    /// segment with nattch 0, left until IPC_RMID), as far as we may see.
    func unheld() -> [UnheldResource]
}

/// A resource no process holds: a row of `adopt list --all`.
public struct UnheldResource: Sendable {
    public var id: Int32
    public var size: Int
    public var device: UInt64
    public var inode: UInt64
    public var columns: ListColumns
    /// The handler's whole description, for `--json`.
    public var description: Description

    public init(id: Int32, size: Int, device: UInt64, inode: UInt64, columns: ListColumns, description: Description) {
        self.id = id
        self.size = size
        self.device = device
        self.inode = inode
        self.columns = columns
        self.description = description
    }
}
