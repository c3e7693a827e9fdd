// SPDX-License-Identifier: Apache-2.0
import CLibdrm
import CShims
import RemoteFD
import Glibc
import SystemPackage

/// CPU access to an adopted dma-buf: one shared mapping of the whole buffer
/// (a dma-buf never changes size), every access bracketed by
/// DMA_BUF_IOCTL_SYNC START/END with the READ or WRITE flag it needs, issued
/// through libdrm's drmIoctl (which retries on EINTR/EAGAIN).
///
/// With `waitForDevice`, each read first waits for the device writes pending
/// on the buffer: through a sync_file from DMA_BUF_IOCTL_EXPORT_SYNC_FILE
/// (Linux 6.0+), or by poll()ing the dma-buf itself for POLLIN on kernels
/// without that ioctl; at most `deviceWaitTimeoutMilliseconds` each time.
public final class DmabufAccess: BufferAccess {
    /// What a CPU access does, as DMA_BUF_SYNC_* flags.
    public struct CPUAccess: OptionSet, Sendable {
        public let rawValue: UInt64
        public init(rawValue: UInt64) { self.rawValue = rawValue }
        public static let read = CPUAccess(rawValue: UInt64(DMA_BUF_SYNC_READ))
        public static let write = CPUAccess(rawValue: UInt64(DMA_BUF_SYNC_WRITE))
    }

    /// How pending device writes are awaited.
    public enum DeviceWait: Sendable, Equatable {
        case none
        case syncFile
        case pollDmabuf
    }

    public let file: AdoptedFile
    private let mapping: MappedRegion?
    /// fdinfo's exp_name ("drm", "udmabuf", "system"), nil if not shown.
    public let exporter: String?
    public private(set) var deviceWait: DeviceWait
    public var deviceWaitTimeoutMilliseconds: Int32 = 10_000
    public private(set) var notes: [String] = []

    public init(file: AdoptedFile, options: AccessOptions, exporter: String?) throws(AdoptError) {
        self.file = file
        self.exporter = exporter
        let exporterText = exporter.map { "exporter '\($0)'" } ?? "the exporter"
        if options.writable && !file.isWritable {
            throw AdoptError(file, reason: .mapRefused, errno: .permissionDenied,
                             "cannot map read-write: the dma-buf fd is open read-only (an adopted fd keeps the owner's access mode; \(exporterText) exported it without write access)")
        }
        let length = Int(file.stat.st_size)
        if length > 0 {
            do {
                mapping = try MappedRegion(fd: file.descriptor, length: length, writable: options.writable)
            } catch {
                throw AdoptError(file, reason: .mapRefused, errno: error,
                                 "\(exporterText) refused to mmap the dma-buf" + (options.writable ? " read-write" : ""),
                                 hints: ["some exporters (GPU VRAM, secure heaps) give no CPU mapping: only a device can read it"])
            }
        } else {
            mapping = nil
        }
        deviceWait = .none
        notes.append(mapping.map { "mapped \($0.protectionText), \($0.length) bytes, shared" } ?? "empty: nothing mapped")
        notes.append("reads: from the mapping, each bracketed by DMA_BUF_IOCTL_SYNC START/END READ (libdrm drmIoctl)")
        if options.waitForDevice {
            chooseDeviceWait()
        }
        if options.sealShrink {
            notes.append("seal: not needed: a dma-buf's size is fixed at export, it cannot shrink under the mapping")
        }
    }

    /// A dma-buf's size is fixed at export.
    public var size: Int { mapping?.length ?? 0 }

    public var mappingInfo: MappingInfo? { mapping?.info }

    /// The whole mapping, bracketed by DMA_BUF_IOCTL_SYNC START/END READ
    /// (after waiting for the device, with `waitForDevice`).
    public func withMappedBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) throws(AdoptError) -> R {
        guard let mapping else { return body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        if deviceWait != .none { try waitForDeviceWrites() }
        try sync(start: true, .read)
        let result = body(UnsafeRawBufferPointer(mapping.bytes))
        try sync(start: false, .read)
        return result
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(AdoptError) -> Int {
        guard buffer.count > 0, let mapping, offset >= 0, offset < mapping.length else { return 0 }
        let n = min(buffer.count, mapping.length - offset)
        if deviceWait != .none { try waitForDeviceWrites() }
        try sync(start: true, .read)
        buffer.baseAddress!.copyMemory(from: mapping.base + offset, byteCount: n)
        try sync(start: false, .read)
        return n
    }

    /// Copies `bytes` into the buffer at `offset` (a writable mapping only),
    /// bracketed by DMA_BUF_IOCTL_SYNC START/END WRITE; returns the count.
    public func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(AdoptError) -> Int {
        guard let mapping, mapping.writable else {
            throw AdoptError(file, reason: .mapRefused, errno: .permissionDenied,
                             "the dma-buf is not mapped read-write")
        }
        guard bytes.count > 0, offset >= 0, offset < mapping.length else { return 0 }
        let n = min(bytes.count, mapping.length - offset)
        try sync(start: true, .write)
        (mapping.base + offset).copyMemory(from: bytes.baseAddress!, byteCount: n)
        try sync(start: false, .write)
        return n
    }

    /// Begins (`start`) or ends a CPU access: DMA_BUF_IOCTL_SYNC.
    func sync(start: Bool, _ access: CPUAccess) throws(AdoptError) {
        var arg = dma_buf_sync(flags: access.rawValue | UInt64(start ? DMA_BUF_SYNC_START : DMA_BUF_SYNC_END))
        let rc = withUnsafeMutablePointer(to: &arg) { drmIoctl(file.descriptor.rawValue, rfd_dma_buf_ioctl_sync(), $0) }
        guard rc == 0 else {
            let err = Errno(rawValue: Glibc.errno)
            throw AdoptError(file, reason: .other, errno: err,
                             "DMA_BUF_IOCTL_SYNC \(start ? "START" : "END") \(access.names) failed")
        }
    }

    /// Waits until the device writes pending on the buffer are done.
    public func waitForDeviceWrites() throws(AdoptError) {
        switch deviceWait {
        case .none:
            return
        case .syncFile:
            let syncFile = try exportSyncFile()
            defer { close(syncFile) }
            try pollReadable(syncFile, what: "the sync_file of pending device writes")
        case .pollDmabuf:
            try pollReadable(file.descriptor.rawValue, what: "the dma-buf")
        }
    }

    // MARK: private

    private func chooseDeviceWait() {
        if rfd_dma_buf_export_sync_file() != 0 {
            do {
                let fd = try exportSyncFile()
                close(fd)
                deviceWait = .syncFile
                notes.append("wait: for pending device writes before each read, through a sync_file (DMA_BUF_IOCTL_EXPORT_SYNC_FILE), at most \(deviceWaitTimeoutMilliseconds) ms")
                return
            } catch {
                if error.errno == .inappropriateIOCTLForDevice {
                    notes.append("wait: this kernel lacks DMA_BUF_IOCTL_EXPORT_SYNC_FILE (Linux 6.0+): waiting with poll(POLLIN) on the dma-buf instead, at most \(deviceWaitTimeoutMilliseconds) ms")
                } else {
                    notes.append("wait: DMA_BUF_IOCTL_EXPORT_SYNC_FILE failed (\(error.errno?.symbolicName ?? "?")): waiting with poll(POLLIN) on the dma-buf instead, at most \(deviceWaitTimeoutMilliseconds) ms")
                }
            }
        } else {
            notes.append("wait: built without DMA_BUF_IOCTL_EXPORT_SYNC_FILE in the kernel headers: waiting with poll(POLLIN) on the dma-buf instead, at most \(deviceWaitTimeoutMilliseconds) ms")
        }
        deviceWait = .pollDmabuf
    }

    /// A sync_file fd signalled once every writer of the buffer is done.
    private func exportSyncFile() throws(AdoptError) -> Int32 {
        var arg = dma_buf_export_sync_file(flags: UInt32(DMA_BUF_SYNC_READ), fd: -1)
        let rc = withUnsafeMutablePointer(to: &arg) {
            drmIoctl(file.descriptor.rawValue, rfd_dma_buf_export_sync_file(), $0)
        }
        guard rc == 0 else {
            let err = Errno(rawValue: Glibc.errno)
            throw AdoptError(file, reason: .other, errno: err,
                             "DMA_BUF_IOCTL_EXPORT_SYNC_FILE failed")
        }
        return arg.fd
    }

    private func pollReadable(_ fd: Int32, what: String) throws(AdoptError) {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        switch retryingOnEINTR({ poll(&pfd, 1, deviceWaitTimeoutMilliseconds) }) {
        case .success(0):
            throw AdoptError(file, reason: .other, errno: .timedOut,
                             "device writes still pending after \(deviceWaitTimeoutMilliseconds) ms (poll on \(what))")
        case .success:
            if pfd.revents & Int16(POLLIN) != 0 { return }
            throw AdoptError(file, reason: .other, errno: .ioError,
                             "waiting for device writes: poll on \(what) returned revents 0x\(String(pfd.revents, radix: 16))")
        case .failure(let err):
            throw AdoptError(file, reason: .other, errno: err,
                             "waiting for device writes: poll on \(what) failed")
        }
    }
}

extension DmabufAccess.CPUAccess {
    var names: String {
        switch (contains(.read), contains(.write)) {
        case (true, true): return "READ|WRITE"
        case (true, false): return "READ"
        case (false, true): return "WRITE"
        default: return "(none)"
        }
    }
}
