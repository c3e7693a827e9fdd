// SPDX-License-Identifier: Apache-2.0
/// Where an adopted resource came from: an fd of its owner, the file
/// behind one of its mappings, or a kernel IPC object named by its id
/// (no owner needed: a shmid), or an fd received from elsewhere. Errors
/// and messages name it this way.
public enum BufferOrigin: Hashable, Sendable, CustomStringConvertible {
    /// fd N of the owner.
    case fd(Int32)
    /// The file behind the owner's mapping containing this address
    /// (`adopt PID --map ADDR`; the mapping's start once it is known).
    case mapping(UInt64)
    /// An IPC object by id, taken without any process: `kind` is what
    /// its ids are called ("shmid"), as messages name it.
    case ipc(kind: String, id: Int32)
    /// An fd received from elsewhere whose owner's fd is not known (a
    /// keeper's buffer), by what it was called there ("keeper buffer cam0").
    case received(String)

    /// The owner's fd number, for `.fd`.
    public var fd: Int32? {
        if case .fd(let fd) = self { return fd }
        return nil
    }

    /// The address, for `.mapping`.
    public var address: UInt64? {
        if case .mapping(let address) = self { return address }
        return nil
    }

    /// "fd 3", "map 0x7f12a000", "shmid 42".
    public var description: String {
        switch self {
        case .fd(let fd): return "fd \(fd)"
        case .mapping(let address): return "map 0x" + String(address, radix: 16)
        case .ipc(let kind, let id): return "\(kind) \(id)"
        case .received(let name): return name
        }
    }

    /// A file-name part without spaces: "fd3", "map7f12a000", "shmid42".
    public var tag: String {
        switch self {
        case .fd(let fd): return "fd\(fd)"
        case .mapping(let address): return "map" + String(address, radix: 16)
        case .ipc(let kind, let id): return "\(kind)\(id)"
        case .received(let name): return name.split(separator: " ").last.map(String.init) ?? "received"
        }
    }
}
