// SPDX-License-Identifier: Apache-2.0
internal import CYuv
import RemoteFD

/// Reading a frame out of an adopted buffer and converting it to RGB.
///
/// ```swift
/// let access = try adoption.open()
/// let image = try Frame.read(from: access, format: .nv12,
///                            geometry: FrameGeometry(width: 640, height: 360))
/// try PNGEncoder().write(image, toFile: "frame.png")
/// ```
///
/// Every conversion is libyuv's. YUV is BT.601 limited range (libyuv's
/// `kYuvI601Constants`), what ffmpeg assumes for raw YUV with no colour
/// information, chroma repeated (not interpolated) over the pixels that
/// share it. libyuv's names count a pixel as a little-endian word, as DRM
/// does: its "ARGB" is B, G, R, A in memory (DRM's `AR24`), its "ABGR"
/// R, G, B, A, its "RAW" R, G, B and its "RGB24" B, G, R.
public enum Frame {
    /// Rows converted at a time by the two-step conversions (to libyuv's
    /// ARGB, then to R, G, B): the intermediate rows stay in the cache.
    static let bandRows = 16

    /// Reads the frame `geometry` places in `access`'s buffer and converts
    /// it to RGB (RGBA for formats with alpha).
    ///
    /// The bytes are read through `access`: straight from its mapping where
    /// `withMappedBytes` lends it (a shrink-sealed memfd, a dma-buf inside
    /// its `DMA_BUF_IOCTL_SYNC` bracket, a System V segment), else with
    /// `read(into:at:)` into a buffer of the frame's size, which never
    /// touches pages past the buffer's end: if the owner shrinks the buffer
    /// meanwhile, the read comes back short and this throws
    /// `FrameError.shrank`, never SIGBUS.
    ///
    /// Throws `FrameError` for a geometry that does not fit the format or
    /// the buffer, and the access's `AdoptError` for a failed read.
    public static func read(from access: any BufferAccess, format: PixelFormat,
                            geometry: FrameGeometry) throws -> RGBAImage {
        try geometry.validate(for: format, bufferSize: access.size)
        let needed = geometry.frameBytes(for: format)
        let end = geometry.offset + needed
        // The mapping, where reading it is as safe as read(into:at:).
        let mapped: Result<RGBAImage, FrameError>?
        do {
            mapped = try access.withMappedBytes { bytes -> Result<RGBAImage, FrameError>? in
                guard bytes.count >= end else { return nil }
                do throws(FrameError) {
                    return .success(try convert(UnsafeRawBufferPointer(rebasing: bytes[geometry.offset..<end]),
                                                format: format, geometry: geometry))
                } catch {
                    return .failure(error)
                }
            }
        } catch {
            mapped = nil  // not lent: read below
        }
        if let mapped { return try mapped.get() }

        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: needed, alignment: 64)
        defer { buffer.deallocate() }
        var done = 0
        while done < needed {
            let n = try access.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[done...]),
                                    at: geometry.offset + done)
            if n == 0 { break }
            done += n
        }
        guard done == needed else {
            throw FrameError.shrank(geometry, format, needed: needed, read: done, bufferSize: access.size)
        }
        return try convert(UnsafeRawBufferPointer(buffer), format: format, geometry: geometry)
    }

    /// Converts a frame to RGB (RGBA for formats with alpha). `frame` starts
    /// at the frame's first byte (the geometry's offset is not applied) and
    /// holds at least `geometry.frameBytes(for: format)` bytes.
    public static func convert(_ frame: UnsafeRawBufferPointer, format: PixelFormat,
                               geometry: FrameGeometry) throws(FrameError) -> RGBAImage {
        try geometry.validate(for: format)
        let needed = geometry.frameBytes(for: format)
        guard frame.count >= needed else {
            throw .bufferTooSmall(FrameGeometry(width: geometry.width, height: geometry.height,
                                                stride: geometry.stride, offset: 0),
                                  format, needed: needed, bufferSize: frame.count)
        }
        let width = geometry.width, height = geometry.height
        let stride = geometry.stride(for: format)
        let channels = format.hasAlpha ? 4 : 3
        var pixels = [UInt8](repeating: 0, count: width * height * channels)
        let src = frame.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let w = Int32(width), h = Int32(height), s = Int32(stride)
        let rc: Int32
        let call: String
        (call, rc) = pixels.withUnsafeMutableBufferPointer { out -> (String, Int32) in
            let dst = out.baseAddress!
            let ds = Int32(width * channels)
            switch format {
            case .xrgb8888:  // B, G, R, X -> R, G, B
                return ("ARGBToRAW", ARGBToRAW(src, s, dst, ds, w, h))
            case .argb8888:  // B, G, R, A -> R, G, B, A
                return ("ARGBToABGR", ARGBToABGR(src, s, dst, ds, w, h))
            case .xbgr8888:  // R, G, B, X -> R, G, B: bytes 0, 1, 2 kept
                return ("ARGBToRGB24", ARGBToRGB24(src, s, dst, ds, w, h))
            case .abgr8888:  // R, G, B, A as it is
                return ("ARGBCopy", ARGBCopy(src, s, dst, ds, w, h))
            case .rgb888:  // B, G, R -> R, G, B
                return ("RAWToRGB24", RAWToRGB24(src, s, dst, ds, w, h))
            case .bgr888:  // R, G, B as it is
                CopyPlane(src, s, dst, ds, w * 3, h)
                return ("CopyPlane", 0)
            case .nv12:
                return ("NV12ToRAW", NV12ToRAW(src, s, src + stride * height, s, dst, ds, w, h))
            case .yu12:
                let u = src + stride * height
                let v = u + (stride / 2) * (height / 2)
                return ("I420ToRAW", I420ToRAW(src, s, u, s / 2, v, s / 2, dst, ds, w, h))
            case .rgb565, .r8, .yuyv, .uyvy:
                // To libyuv's ARGB (B, G, R, A), then R, G, B: a band of
                // rows at a time.
                let band = UnsafeMutablePointer<UInt8>.allocate(capacity: width * 4 * bandRows)
                defer { band.deallocate() }
                var y = 0
                while y < height {
                    let rows = Int32(min(bandRows, height - y))
                    let row = src + y * stride
                    let first: (String, Int32)
                    switch format {
                    case .rgb565: first = ("RGB565ToARGB", RGB565ToARGB(row, s, band, w * 4, w, rows))
                    case .r8: first = ("J400ToARGB", J400ToARGB(row, s, band, w * 4, w, rows))
                    case .yuyv: first = ("YUY2ToARGB", YUY2ToARGB(row, s, band, w * 4, w, rows))
                    default: first = ("UYVYToARGB", UYVYToARGB(row, s, band, w * 4, w, rows))
                    }
                    if first.1 != 0 { return first }
                    let rc = ARGBToRAW(band, w * 4, dst + y * width * 3, ds, w, rows)
                    if rc != 0 { return ("ARGBToRAW", rc) }
                    y += Int(rows)
                }
                return ("", 0)
            }
        }
        guard rc == 0 else { throw .conversionFailed(call, rc) }
        return RGBAImage(width: width, height: height, channels: channels, pixels: pixels)
    }
}
