// SPDX-License-Identifier: Apache-2.0
internal import CYuv

/// A frame in 8-bit RGB: rows of `width` pixels, top first, no padding;
/// each pixel R, G, B, A (`channels` 4, formats with alpha: AR24, AB24) or
/// R, G, B (`channels` 3, every other format: their X byte is not alpha).
/// What `Frame.read` returns, `PNGEncoder` writes and `TerminalPicture`
/// draws.
public struct RGBAImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// 4 (R, G, B, A) or 3 (R, G, B).
    public let channels: Int
    /// `height` rows of `width` × `channels` bytes.
    public var pixels: [UInt8]

    /// An image of `pixels` (`width` × `height` × `channels` bytes, channels 3 or 4).
    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        precondition(channels == 3 || channels == 4, "RGBAImage has 3 or 4 channels")
        precondition(width > 0 && height > 0 && pixels.count == width * height * channels,
                     "RGBAImage: \(pixels.count) bytes for \(width)x\(height)x\(channels)")
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    /// Whether each pixel has an alpha byte (channels 4).
    public var hasAlpha: Bool { channels == 4 }

    /// Bytes per row.
    public var rowBytes: Int { width * channels }

    /// One pixel, alpha 255 where the image has none.
    public struct Pixel: Sendable, Equatable, CustomStringConvertible {
        public var r: UInt8, g: UInt8, b: UInt8, a: UInt8

        public init(r: UInt8, g: UInt8, b: UInt8, a: UInt8 = 255) {
            self.r = r
            self.g = g
            self.b = b
            self.a = a
        }

        /// "#336699" (and the alpha, "#33669980", when not 255).
        public var description: String {
            let hex = { (v: UInt8) in (v < 16 ? "0" : "") + String(v, radix: 16) }
            return "#" + hex(r) + hex(g) + hex(b) + (a == 255 ? "" : hex(a))
        }
    }

    /// The pixel at column `x`, row `y` (0, 0 is the top left).
    public subscript(x x: Int, y y: Int) -> Pixel {
        let i = (y * width + x) * channels
        return Pixel(r: pixels[i], g: pixels[i + 1], b: pixels[i + 2], a: channels == 4 ? pixels[i + 3] : 255)
    }

    /// The same image as R, G, B, A (alpha 255 added if it had none).
    public func withAlpha() -> RGBAImage {
        guard channels == 3 else { return self }
        var out = [UInt8](repeating: 0, count: width * height * 4)
        // libyuv's RGB24ToARGB copies bytes 0, 1, 2 and appends 255: the
        // channel order (R, G, B here) is kept.
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                _ = RGB24ToARGB(src.baseAddress, Int32(width * 3), dst.baseAddress, Int32(width * 4),
                                Int32(width), Int32(height))
            }
        }
        return RGBAImage(width: width, height: height, channels: 4, pixels: out)
    }

    /// The same image as R, G, B (alpha dropped).
    public func withoutAlpha() -> RGBAImage {
        guard channels == 4 else { return self }
        var out = [UInt8](repeating: 0, count: width * height * 3)
        // libyuv's ARGBToRGB24 keeps bytes 0, 1, 2 of each pixel.
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                _ = ARGBToRGB24(src.baseAddress, Int32(width * 4), dst.baseAddress, Int32(width * 3),
                                Int32(width), Int32(height))
            }
        }
        return RGBAImage(width: width, height: height, channels: 3, pixels: out)
    }

    /// The image scaled to `width` × `height` with libyuv (a box filter when
    /// it shrinks, nearest pixels when it grows both ways, so that a small
    /// test pattern stays sharp).
    public func scaled(width newWidth: Int, height newHeight: Int) throws(FrameError) -> RGBAImage {
        precondition(newWidth > 0 && newHeight > 0)
        if newWidth == width && newHeight == height { return self }
        let filter = newWidth >= width && newHeight >= height ? kFilterNone : kFilterBox
        var out = [UInt8](repeating: 0, count: newWidth * newHeight * channels)
        let rc = pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                channels == 4
                    ? ARGBScale(src.baseAddress, Int32(rowBytes), Int32(width), Int32(height),
                                dst.baseAddress, Int32(newWidth * 4), Int32(newWidth), Int32(newHeight), filter)
                    : RGBScale(src.baseAddress, Int32(rowBytes), Int32(width), Int32(height),
                               dst.baseAddress, Int32(newWidth * 3), Int32(newWidth), Int32(newHeight), filter)
            }
        }
        guard rc == 0 else { throw .conversionFailed(channels == 4 ? "ARGBScale" : "RGBScale", rc) }
        return RGBAImage(width: newWidth, height: newHeight, channels: channels, pixels: out)
    }
}
