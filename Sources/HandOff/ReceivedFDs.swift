// SPDX-License-Identifier: Apache-2.0
import SystemPackage

/// Fds that came in over a Unix socket (SCM_RIGHTS, close-on-exec), owned
/// here until `take()`n. Whatever is not taken is closed by `closeRest()`,
/// and at the latest when the object goes: a receiver (a keeper request, a
/// reply) that never looks at its fds, or leaves on an error path, cannot
/// keep them open by forgetting to close them.
public final class ReceivedFDs {
    private var fds: [FileDescriptor]
    /// Not every fd the sender attached arrived (MSG_CTRUNC, or more than
    /// the receiver takes): those that did are here.
    public private(set) var truncated: Bool

    public init(_ fds: [FileDescriptor] = [], truncated: Bool = false) {
        self.fds = fds
        self.truncated = truncated
    }

    deinit { closeRest() }

    /// How many are held (not yet taken).
    public var count: Int { fds.count }
    public var isEmpty: Bool { fds.isEmpty }

    /// The first fd still held, now the caller's to close; nil if none.
    public func take() -> FileDescriptor? {
        fds.isEmpty ? nil : fds.removeFirst()
    }

    /// Moves `other`'s fds (and its truncation) to the end of these.
    public func absorb(_ other: ReceivedFDs) {
        fds += other.fds
        truncated = truncated || other.truncated
        other.fds = []
    }

    /// Moves every fd held (and the truncation) to a new owner, leaving this one empty.
    public func takeAll() -> ReceivedFDs {
        let all = ReceivedFDs(fds, truncated: truncated)
        fds = []
        truncated = false
        return all
    }

    /// Closes every fd not taken.
    public func closeRest() {
        for fd in fds { try? fd.close() }
        fds = []
    }
}
