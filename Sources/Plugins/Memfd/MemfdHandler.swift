// SPDX-License-Identifier: Apache-2.0
import Glibc
import RemoteFD

/// memfd_create(2) files: tmpfs (or hugetlbfs) inodes whose link reads
/// "/memfd:NAME (deleted)".
public struct MemfdHandler: ResourceHandler {
    public init() {}

    public var type: String { "memfd" }
    public var displayName: String { "a memfd" }

    public func probe(_ file: AdoptedFile) -> Bool {
        guard Self.mayBeMemfd(regular: file.isRegularFile, magic: file.filesystemMagic) else { return false }
        var link = file.link
        return link.withUTF8(Self.hasMemfdPrefix)
    }

    /// What `probe` asks before reading the link.
    private static func mayBeMemfd(regular: Bool, magic: UInt) -> Bool {
        regular && (magic == FilesystemMagic.tmpfs || magic == FilesystemMagic.hugetlbfs)
    }

    /// "/memfd:" at the start, compared as bytes (`hasPrefix` compares
    /// Characters: a tenth of a listing's own work per memfd).
    private static func hasMemfdPrefix(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let prefix: StaticString = "/memfd:"
        return bytes.count >= prefix.utf8CodeUnitCount
            && memcmp(bytes.baseAddress!, prefix.utf8Start, prefix.utf8CodeUnitCount) == 0
    }

    public func describe(_ file: AdoptedFile) -> Description {
        var d = Description()
        d.append("name", Self.name(fromLink: file.link))
        let seals = file.seals ?? []
        d.append("seals", seals.names)
        d.append("sealing", seals.contains(.seal) ? "locked (F_SEAL_SEAL)" : "allowed")
        if file.filesystemMagic == FilesystemMagic.hugetlbfs {
            d.append("hugetlb_page_size", file.filesystemBlockSize)
        } else {
            d.append("hugetlb_page_size", .null)
        }
        return d
    }

    public func open(_ file: AdoptedFile, options: AccessOptions) throws(AdoptError) -> any BufferAccess {
        try FileBufferAccess.open(file, options: options)
    }

    /// "/memfd:cam0 (deleted)" → "cam0".
    static func name(fromLink link: String) -> String {
        var link = link
        return link.withUTF8(name(fromLink:))
    }

    /// The same on the link's UTF-8 bytes (Character-wise slicing was 10%
    /// of `adopt list`).
    static func name(fromLink bytes: UnsafeBufferPointer<UInt8>) -> String {
        let prefix = 7  // "/memfd:"
        let suffix: StaticString = " (deleted)"
        guard bytes.count >= prefix else { return "" }
        var end = bytes.count
        if end - prefix >= suffix.utf8CodeUnitCount
            && memcmp(bytes.baseAddress! + end - suffix.utf8CodeUnitCount, suffix.utf8Start,
                      suffix.utf8CodeUnitCount) == 0 {
            end -= suffix.utf8CodeUnitCount
        }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[prefix..<end]), as: UTF8.self)
    }
}

extension MemfdHandler: ResourceListing {
    public func listDetail(_ description: Description) -> String {
        "seals=" + (description["seals"]?.text ?? "?")
    }

    /// Mappings of memfds read "/memfd:NAME (deleted)"; shmem: smaps counts them.
    public var mappingClaims: [MappingClaim] {
        [MappingClaim(pathPrefix: "/memfd:", counting: .smaps, name: { path in
            MappingClaim.pathWithoutDeleted(path).map { String($0.dropFirst("/memfd:".count)) }
        })]
    }

    public func listRow(_ file: ListedFile) -> ListedRow {
        guard Self.mayBeMemfd(regular: file.isRegularFile, magic: file.filesystemMagic) else { return .notMine }
        return file.withLink { link in
            Self.hasMemfdPrefix(link) ? .row(Self.columns(name: Self.name(fromLink: link), seals: file.seals)) : .notMine
        }
    }

    private static func columns(name: String, seals: Seals?) -> ListColumns {
        ListColumns(name: name, detail: "seals=" + (seals ?? []).description)
    }
}
