/// Bounded access to an adopted buffer's bytes. Implementations make reads
/// safe against the owner: they never touch pages past the current end
/// (a shrunk memfd would raise SIGBUS) and bracket device buffers with the
/// synchronisation their kernel interface asks for.
public protocol BufferAccess: AnyObject {
    /// The size now.
    var size: Int { get }
    /// The mapping, when one was made (nil for a zero-length buffer).
    var mapping: MappedRegion? { get }
    /// Copies up to `buffer.count` bytes at `offset` into `buffer`; returns
    /// the number copied (0 at or past the end).
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(AdoptError) -> Int
    /// Lines describing the mapping ("map: read-only, 2097152 bytes").
    var notes: [String] { get }
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
