// SPDX-License-Identifier: Apache-2.0
/// Bounded access to an adopted buffer's bytes. Implementations make reads
/// safe against the owner: they never touch pages past the current end
/// (a shrunk memfd would raise SIGBUS) and bracket device buffers with the
/// synchronisation their kernel interface asks for. The mapping itself is
/// not handed out: `withMappedBytes` lends it only where reading it directly
/// is as safe as `read(into:at:)`.
public protocol BufferAccess: AnyObject {
    /// The size now.
    var size: Int { get }
    /// What was mapped (nil for a zero-length buffer).
    var mappingInfo: MappingInfo? { get }
    /// Copies up to `buffer.count` bytes at `offset` into `buffer`; returns
    /// the number copied (0 at or past the end).
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(AdoptError) -> Int
    /// Calls `body` with the whole mapping, read-only, when that is safe for
    /// its duration (the size cannot shrink under it; device buffers are
    /// synchronised around it); throws otherwise. The pointer must not
    /// escape `body`.
    func withMappedBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) throws(AdoptError) -> R
    /// Phrases describing the mapping and how it is read, each starting
    /// with what it is about ("mapped read-only, 2097152 bytes, shared",
    /// "reads: pread …"); the CLI joins them after "map:".
    var notes: [String] { get }
}

/// The shape of a mapping, without its address.
public struct MappingInfo: Sendable, Equatable {
    public var length: Int
    public var writable: Bool

    public init(length: Int, writable: Bool) {
        self.length = length
        self.writable = writable
    }

    public var protectionText: String { writable ? "read-write" : "read-only" }
}

extension BufferAccess {
    /// Reads `length` bytes at `offset` (fewer at the end).
    public func bytes(at offset: Int, length: Int) throws(AdoptError) -> [UInt8] {
        let count = max(0, min(length, size - offset))
        guard count > 0 else { return [] }
        var result = [UInt8](repeating: 0, count: count)
        let n: Int
        do {
            n = try result.withUnsafeMutableBytes { try read(into: $0, at: offset) }
        } catch let error as AdoptError {
            throw error
        } catch {
            fatalError("read(into:at:) throws AdoptError only")
        }
        result.removeLast(count - n)
        return result
    }
}
