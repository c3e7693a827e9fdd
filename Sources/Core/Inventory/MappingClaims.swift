// SPDX-License-Identifier: Apache-2.0
import Glibc

/// How `adopt list` counts the memory behind a handler's mappings.
public enum MappingCounting: Sendable, Equatable {
    /// Rss and Pss from /proc/PID/smaps: page-cache (shmem) files, whose
    /// pages the kernel counts per mapper.
    case smaps
    /// Memory smaps cannot see (a driver's PFN map): Rss is the mapped
    /// size, at most the buffer's size, and Pss is Rss divided by the
    /// number of processes mapping the buffer, as dmabuf_dump counts.
    case mappedSizeSharedByMappers
}

/// A kind of mapping a handler recognises in /proc/PID/maps by the start
/// of its path ("/memfd:", "/dev/shm/"), and how its memory is counted:
/// `ResourceListing.mappingClaims`. A buffer held only by a mapping gets
/// a row of `adopt list` (and `--map-index` a number) through its claim.
public struct MappingClaim: Sendable {
    /// The path column's first bytes, "/" and at least one more.
    public var pathPrefix: String
    public var counting: MappingCounting
    /// The buffer's name as the path gives it ("/memfd:cam0 (deleted)" →
    /// "cam0"); nil for none. The default: the path without " (deleted)".
    public var name: @Sendable (String) -> String?

    public init(pathPrefix: String, counting: MappingCounting = .smaps,
                name: @escaping @Sendable (String) -> String? = MappingClaim.pathWithoutDeleted) {
        precondition(pathPrefix.utf8.count >= 2 && pathPrefix.hasPrefix("/"),
                     "MappingClaim: a path prefix is '/' and at least one more byte, not '\(pathPrefix)'")
        self.pathPrefix = pathPrefix
        self.counting = counting
        self.name = name
    }

    /// "/dev/shm/x (deleted)" → "/dev/shm/x".
    @Sendable public static func pathWithoutDeleted(_ path: String) -> String? {
        path.hasSuffix(" (deleted)") ? String(path.dropLast(" (deleted)".count)) : path
    }

    /// The rest of the path after `pathPrefix`, " (deleted)" dropped; nil when empty.
    public func suffix(of path: String) -> String? {
        guard let trimmed = Self.pathWithoutDeleted(path), trimmed.hasPrefix(pathPrefix) else { return nil }
        let rest = trimmed.dropFirst(pathPrefix.count)
        return rest.isEmpty ? nil : String(rest)
    }
}

/// Every mapping claim of a registry's handlers, matched against maps
/// lines without making a String for lines no handler claims.
public struct MappingClaims: Sendable {
    struct Entry: Sendable {
        let prefix: [UInt8]
        let type: String
        let claim: MappingClaim
    }

    let entries: [Entry]
    /// The second byte of every prefix: a cheap first test.
    private let secondBytes: Set<UInt8>
    /// The types whose mappings are counted by their mappers.
    let countedByMappers: Set<String>

    /// No claims: no mapping is a buffer's.
    public static let none = MappingClaims(entries: [])

    public init(_ handlers: HandlerRegistry) {
        var entries: [Entry] = []
        for handler in handlers.handlers {
            guard let listing = handler as? any ResourceListing else { continue }
            for claim in listing.mappingClaims {
                entries.append(Entry(prefix: Array(claim.pathPrefix.utf8), type: handler.type, claim: claim))
            }
        }
        self.init(entries: entries)
    }

    init(entries: [Entry]) {
        self.entries = entries
        secondBytes = Set(entries.map { $0.prefix[1] })
        countedByMappers = Set(entries.filter { $0.claim.counting == .mappedSizeSharedByMappers }.map(\.type))
    }

    public var isEmpty: Bool { entries.isEmpty }

    /// The index of the claim matching `path`'s bytes, nil for none.
    func match(_ path: UnsafeBufferPointer<UInt8>) -> Int? {
        guard path.count >= 2, path[0] == 47, secondBytes.contains(path[1]) else { return nil }
        for (i, entry) in entries.enumerated() where path.count >= entry.prefix.count {
            var k = 0
            while k < entry.prefix.count && path[k] == entry.prefix[k] { k += 1 }
            if k == entry.prefix.count { return i }
        }
        return nil
    }

    /// The handler type and claim for `path`, nil when no handler claims it.
    public func claim(path: String) -> (type: String, claim: MappingClaim)? {
        var copy = path
        let index = copy.withUTF8 { match($0) }
        return index.map { (entries[$0].type, entries[$0].claim) }
    }

    /// The claim of a handler's type (the first, where it has several).
    func counting(ofType type: String) -> MappingCounting? {
        entries.first { $0.type == type }?.claim.counting
    }

    /// Fills `mapping.type` and `mapping.name` from the claim its path
    /// matches; false when none does.
    @discardableResult
    func annotate(_ mapping: inout ProcessMapping) -> Bool {
        guard let (type, claim) = claim(path: mapping.path) else { return false }
        mapping.type = type
        mapping.name = claim.name(mapping.path)
        return true
    }
}
