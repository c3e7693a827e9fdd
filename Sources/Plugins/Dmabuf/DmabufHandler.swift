// SPDX-License-Identifier: Apache-2.0
import RemoteFD
import Glibc

/// dma-bufs: buffers a kernel driver (the exporter: a GPU, vgem, udmabuf, a
/// DMA heap) shares as files of the dma-buf pseudo filesystem. Their link
/// reads "/dmabuf:" or "/dmabuf:NAME" (older kernels: "anon_inode:dmabuf");
/// /proc/PID/fdinfo/N tells the size, exporter ("exp_name") and, once
/// someone set it with DMA_BUF_SET_NAME, the name.
///
/// CPU access goes through `DmabufAccess`, which brackets every access with
/// DMA_BUF_IOCTL_SYNC so that exporters with caches or bounce buffers keep
/// the device's and the CPU's views coherent.
public struct DmabufHandler: ResourceHandler {
    public init() {}

    public var type: String { "dmabuf" }
    public var displayName: String { "a dma-buf" }

    public func probe(_ file: AdoptedFile) -> Bool {
        if file.filesystemMagic == FilesystemMagic.dmabuf { return true }
        // dma-bufs lived on the anonymous inode before they got their own filesystem.
        guard file.filesystemMagic == FilesystemMagic.anonInode else { return false }
        return file.link == "anon_inode:dmabuf"
    }

    /// fdinfo's "ino" is not repeated: it is the library's "inode".
    public func describe(_ file: AdoptedFile) -> Description {
        let info = file.fdinfo
        var d = Description()
        d.append("exporter", info["exp_name"].map { Description.Value.string($0) } ?? .null)
        d.append("name", Self.name(fdinfo: info, link: file.link).map { Description.Value.string($0) } ?? .null)
        d.append("count", info["count"].flatMap { Int64($0) }.map { Description.Value.int($0) } ?? .null)
        return d
    }

    public func open(_ file: AdoptedFile, options: AccessOptions) throws(AdoptError) -> any BufferAccess {
        try DmabufAccess(file: file, options: options, exporter: file.fdinfo["exp_name"])
    }

    /// The name DMA_BUF_SET_NAME gave: fdinfo's "name" line (present only
    /// once set), else what follows "/dmabuf:" in the link; nil if unnamed.
    static func name(fdinfo: [String: String], link: String) -> String? {
        if let name = fdinfo["name"], !name.isEmpty { return name }
        if link.hasPrefix("/dmabuf:") {
            let name = String(link.dropFirst("/dmabuf:".count))
            return name.isEmpty ? nil : name
        }
        return nil
    }
}

extension DmabufHandler: ResourceListing {
    /// Anything off the dma-buf and anonymous-inode filesystems is not a
    /// dma-buf; the others are described (fdinfo).
    public func listRow(_ file: ListedFile) -> ListedRow {
        file.filesystemMagic == FilesystemMagic.dmabuf || file.filesystemMagic == FilesystemMagic.anonInode
            ? .needsFile : .notMine
    }

    public func listDetail(_ description: Description) -> String {
        "exporter=" + (description["exporter"]?.text ?? "-") + " name=" + (description["name"]?.text ?? "-")
    }

    public var totalsKey: String? { "exporter" }

    /// Mappings of dma-bufs read "/dmabuf:" or "/dmabuf:NAME". Often a
    /// driver's PFN map, which smaps does not count: the mapped size,
    /// shared by the mappers, as dmabuf_dump counts.
    public var mappingClaims: [MappingClaim] {
        [MappingClaim(pathPrefix: "/dmabuf:", counting: .mappedSizeSharedByMappers, name: { path in
            let name = path.dropFirst("/dmabuf:".count)
            return name.isEmpty ? nil : String(name)
        })]
    }
}
