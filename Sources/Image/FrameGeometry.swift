// SPDX-License-Identifier: Apache-2.0
import SystemPackage

/// Where a frame lies in a buffer: its size in pixels, the bytes from one
/// row to the next (`stride`, default the smallest the format allows), and
/// the byte offset of its first row in the buffer.
///
/// Planar formats (NV12, YU12) are one contiguous frame: the Y plane
/// (`stride` × `height` bytes), then NV12's interleaved U,V plane
/// (`stride` × `height`/2) or YU12's U and V planes (`stride`/2 ×
/// `height`/2 each), as V4L2's single-planar formats and most producers lay
/// them out.
public struct FrameGeometry: Sendable, Equatable, CustomStringConvertible {
    public var width: Int
    public var height: Int
    /// Bytes from one row to the next (of the Y plane for NV12 and YU12);
    /// nil: `minimumStride(for:)`.
    public var stride: Int?
    /// Byte offset of the frame in the buffer.
    public var offset: Int

    public init(width: Int, height: Int, stride: Int? = nil, offset: Int = 0) {
        self.width = width
        self.height = height
        self.stride = stride
        self.offset = offset
    }

    /// "WxH" (`--size`'s form), or nil if `text` is not two positive
    /// decimal numbers around an x.
    public init?(size text: String, stride: Int? = nil, offset: Int = 0) {
        let parts = text.lowercased().split(separator: "x", omittingEmptySubsequences: false)
        guard parts.count == 2, let w = Int(parts[0]), let h = Int(parts[1]), w > 0, h > 0,
              parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }) else { return nil }
        self.init(width: w, height: h, stride: stride, offset: offset)
    }

    /// "640x360".
    public var description: String { "\(width)x\(height)" }

    /// The least stride `format` allows at this width: width × bytes per
    /// pixel (the Y plane's for NV12 and YU12).
    public func minimumStride(for format: PixelFormat) -> Int {
        width * format.bytesPerPixel
    }

    /// The stride used: the one given, else the minimum.
    public func stride(for format: PixelFormat) -> Int {
        stride ?? minimumStride(for: format)
    }

    /// The frame's bytes: every row at the stride (and the chroma planes).
    public func frameBytes(for format: PixelFormat) -> Int {
        let s = stride(for: format)
        switch format {
        case .nv12: return s * height + s * (height / 2)
        case .yu12: return s * height + 2 * (s / 2) * (height / 2)
        default: return s * height
        }
    }

    /// The buffer size the frame needs: offset + `frameBytes(for:)`.
    public func bytesNeeded(for format: PixelFormat) -> Int {
        offset + frameBytes(for: format)
    }

    /// Checks the geometry against `format` and, if given, a buffer of
    /// `bufferSize` bytes; throws the first thing wrong, in this order: an
    /// empty size, a width (or height) the format's chroma subsampling
    /// cannot take, a stride below the minimum (or odd for YU12), a negative
    /// offset, a buffer too small.
    public func validate(for format: PixelFormat, bufferSize: Int? = nil) throws(FrameError) {
        guard width > 0, height > 0 else { throw .emptySize(self) }
        guard width <= 1 << 15, height <= 1 << 15 else { throw .tooLarge(self) }
        switch format {
        case .yuyv, .uyvy:
            guard width % 2 == 0 else { throw .oddWidth(self, format) }
        case .nv12, .yu12:
            guard width % 2 == 0, height % 2 == 0 else { throw .oddSize(self, format) }
        default:
            break
        }
        let s = stride(for: format)
        guard s >= minimumStride(for: format) else {
            throw .strideTooSmall(stride: s, minimum: minimumStride(for: format), self, format)
        }
        guard format != .yu12 || s % 2 == 0 else { throw .oddStride(stride: s, format) }
        guard offset >= 0 else { throw .negativeOffset(offset) }
        if let bufferSize, bytesNeeded(for: format) > bufferSize {
            throw .bufferTooSmall(self, format, needed: frameBytes(for: format), bufferSize: bufferSize)
        }
    }
}

/// What is wrong with a frame's format, geometry or buffer. `description`
/// is one line without a "pid P fd N:" prefix; `errno` the errno a
/// command line reports it with (`EINVAL` for what the caller asked,
/// `ENODATA` for a buffer that shrank while read, `ENOTTY` for a device
/// that is not a video device, …).
public enum FrameError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Not a fourcc or alias `PixelFormat` knows.
    case unknownFormat(String)
    /// Width or height 0.
    case emptySize(FrameGeometry)
    /// Width or height above 32768.
    case tooLarge(FrameGeometry)
    /// YUYV, UYVY: the width must be even.
    case oddWidth(FrameGeometry, PixelFormat)
    /// NV12, YU12: width and height must be even.
    case oddSize(FrameGeometry, PixelFormat)
    /// The stride given is below width × bytes per pixel.
    case strideTooSmall(stride: Int, minimum: Int, FrameGeometry, PixelFormat)
    /// YU12's chroma stride is half the stride: it must be even.
    case oddStride(stride: Int, PixelFormat)
    case negativeOffset(Int)
    /// The frame does not fit: `needed` bytes of frame at the geometry's
    /// offset, and the buffer's size.
    case bufferTooSmall(FrameGeometry, PixelFormat, needed: Int, bufferSize: Int)
    /// The buffer shrank while it was read: `read` of `needed` bytes came
    /// back; `bufferSize` is its size after.
    case shrank(FrameGeometry, PixelFormat, needed: Int, read: Int, bufferSize: Int)
    /// `--format auto`: what could not be told, in words, and the errno
    /// to report it with.
    case formatUnknown(String, Errno)
    /// A conversion or scaling call of libyuv failed (its return value).
    case conversionFailed(String, Int32)
    /// Encoding a picture for the terminal failed: the library and step,
    /// and the status it returned where it has one (libsixel's SIXELSTATUS).
    case encodingFailed(String, Int32?)

    public var description: String {
        switch self {
        case .unknownFormat(let text):
            return "unknown pixel format '\(text)' (known: \(PixelFormat.knownList); or \(PixelFormat.aliasList))"
        case .emptySize(let g):
            return "\(g): width and height must be at least 1"
        case .tooLarge(let g):
            return "\(g): width and height must be at most 32768"
        case .oddWidth(let g, let f):
            return "\(g) \(f): the width must be even (two pixels share one U and one V)"
        case .oddSize(let g, let f):
            return "\(g) \(f): width and height must be even (four pixels share one U and one V)"
        case .strideTooSmall(let s, let minimum, let g, let f):
            return "stride \(s) is below \(g) \(f)'s \(minimum) bytes per row"
        case .oddStride(let s, let f):
            return "stride \(s): \(f) needs an even stride (its U and V planes' rows are half of it)"
        case .negativeOffset(let offset):
            return "offset \(offset) is negative"
        case .bufferTooSmall(let g, let f, let needed, let size):
            return "\(g) \(f) needs \(needed) bytes at offset \(g.offset), the buffer has \(size)"
        case .shrank(let g, let f, let needed, let read, let size):
            return "the buffer shrank while it was read: \(g) \(f) needs \(needed) bytes at offset \(g.offset), \(read) could be read (it has \(size) now)"
        case .formatUnknown(let why, _):
            return why
        case .conversionFailed(let call, let rc):
            return "libyuv \(call) failed (returned \(rc))"
        case .encodingFailed(let step, let status):
            return "\(step) failed" + (status.map { " (status 0x\(String($0, radix: 16)))" } ?? "")
        }
    }

    /// The errno a command line reports this with.
    public var errno: Errno {
        switch self {
        case .shrank: return .noData
        case .conversionFailed, .encodingFailed: return .ioError
        case .formatUnknown(_, let errno): return errno
        default: return .invalidArgument
        }
    }
}
