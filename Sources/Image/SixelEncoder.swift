// SPDX-License-Identifier: Apache-2.0
internal import CSixel

/// An image as DEC sixel with libsixel: a palette of at most `colours` and
/// the pixels in it, as `ESC P … q "1;1;W;H #0;2;R;G;B … ESC \` (7-bit DCS
/// and ST; palette entries in percent). An image of no more colours than
/// that has exactly its own as the palette, in the order they first appear
/// (libsixel's median cut keeps 5 bits a channel: white would be 97 %);
/// another is quantized by libsixel (median cut, its automatic choices,
/// error diffusion). Alpha is ignored.
public enum SixelEncoder {
    /// The sixel bytes of `image`, as it is (no scaling).
    public static func encode(_ image: RGBAImage, colours: Int = 256) throws(FrameError) -> [UInt8] {
        let rgb = image.withoutAlpha()
        var pixels = rgb.pixels
        let sink = Sink()
        let unmanaged = Unmanaged.passRetained(sink)
        defer { unmanaged.release() }

        var output: OpaquePointer?
        let write: sixel_write_function = { data, size, priv in
            guard let data, let priv, size > 0 else { return 0 }
            let sink = Unmanaged<Sink>.fromOpaque(priv).takeUnretainedValue()
            data.withMemoryRebound(to: UInt8.self, capacity: Int(size)) {
                sink.bytes.append(contentsOf: UnsafeBufferPointer(start: $0, count: Int(size)))
            }
            return size
        }
        try check(sixel_output_new(&output, write, unmanaged.toOpaque(), nil), "sixel_output_new")
        defer { sixel_output_unref(output) }
        sixel_output_set_8bit_availability(output, 0)  // ESC P … ESC \, not C1 controls

        let limit = max(2, min(256, colours))
        var palette = Self.palette(rgb, limit: limit)
        var dither: OpaquePointer?
        // A palette of one colour is padded to libsixel's least, 2.
        if palette?.count == 3 { palette! += palette! }
        try check(sixel_dither_new(&dither, Int32(palette.map { $0.count / 3 } ?? limit), nil), "sixel_dither_new")
        defer { sixel_dither_unref(dither) }
        let format = rfd_sixel_pixelformat_rgb888()
        let status = pixels.withUnsafeMutableBufferPointer { buffer -> SIXELSTATUS in
            if var palette {
                // Exact colours: libsixel looks each pixel up in the
                // palette (its nearest entry: itself), no diffusion.
                palette.withUnsafeMutableBufferPointer { sixel_dither_set_palette(dither, $0.baseAddress) }
                sixel_dither_set_diffusion_type(dither, SIXEL_DIFFUSE_NONE)
            } else {
                let rc = sixel_dither_initialize(dither, buffer.baseAddress, Int32(rgb.width), Int32(rgb.height), format,
                                                 SIXEL_LARGE_AUTO, SIXEL_REP_AUTO, SIXEL_QUALITY_AUTO)
                guard rfd_sixel_succeeded(rc) != 0 else { return rc }
            }
            sixel_dither_set_pixelformat(dither, format)
            return sixel_encode(buffer.baseAddress, Int32(rgb.width), Int32(rgb.height), 3, dither, output)
        }
        try check(status, "encoding \(rgb.width)x\(rgb.height)")
        return sink.bytes
    }

    /// The sixel bytes as a String (all ASCII).
    public static func encodeString(_ image: RGBAImage, colours: Int = 256) throws(FrameError) -> String {
        String(decoding: try encode(image, colours: colours), as: UTF8.self)
    }

    /// The image's colours, R, G, B each, in the order they first appear;
    /// nil if it has more than `limit`.
    static func palette(_ rgb: RGBAImage, limit: Int) -> [UInt8]? {
        var seen = Set<UInt32>()
        var palette: [UInt8] = []
        let p = rgb.pixels
        var i = 0
        while i + 2 < p.count {
            let key = UInt32(p[i]) << 16 | UInt32(p[i + 1]) << 8 | UInt32(p[i + 2])
            if seen.insert(key).inserted {
                if seen.count > limit { return nil }
                palette += [p[i], p[i + 1], p[i + 2]]
            }
            i += 3
        }
        return palette.isEmpty ? nil : palette
    }

    final class Sink {
        var bytes: [UInt8] = []
    }

    static func check(_ status: SIXELSTATUS, _ step: String) throws(FrameError) {
        guard rfd_sixel_succeeded(status) != 0 else { throw .encodingFailed("libsixel: \(step)", Int32(status)) }
    }
}
