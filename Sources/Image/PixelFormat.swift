// SPDX-License-Identifier: Apache-2.0

/// A pixel format, named by its DRM fourcc as libdrm's `drm_fourcc.h`
/// defines it (the names Wayland, KMS, GBM and most compositors use).
///
/// DRM fourccs describe a pixel as a little-endian word, high bits first:
/// `XR24` (XRGB8888) is the 32-bit word `x:r:g:b`, that is the bytes
/// **B, G, R, X** in memory; `XB24` (XBGR8888) is R, G, B, X; `RG24`
/// (RGB888) is B, G, R; `BG24` (BGR888) is R, G, B.
///
/// Wayland's `wl_shm` formats are the same codes, except that its two
/// mandatory ones are numbered 0 and 1: `WL_SHM_FORMAT_ARGB8888` (0) is
/// `AR24` and `WL_SHM_FORMAT_XRGB8888` (1) is `XR24`.
public enum PixelFormat: String, CaseIterable, Sendable, CustomStringConvertible {
    /// XRGB8888: B, G, R, X bytes per pixel (X ignored).
    case xrgb8888 = "XR24"
    /// ARGB8888: B, G, R, A bytes per pixel.
    case argb8888 = "AR24"
    /// XBGR8888: R, G, B, X bytes per pixel (X ignored).
    case xbgr8888 = "XB24"
    /// ABGR8888: R, G, B, A bytes per pixel.
    case abgr8888 = "AB24"
    /// RGB888: B, G, R bytes per pixel.
    case rgb888 = "RG24"
    /// BGR888: R, G, B bytes per pixel.
    case bgr888 = "BG24"
    /// RGB565: a little-endian 16-bit word, red in the high 5 bits.
    case rgb565 = "RG16"
    /// R8: one byte of grey per pixel (full range: 0 black, 255 white).
    case r8 = "R8"
    /// YUYV (YUY2): packed 4:2:2, Y0 U Y1 V for each two pixels.
    case yuyv = "YUYV"
    /// UYVY: packed 4:2:2, U Y0 V Y1 for each two pixels.
    case uyvy = "UYVY"
    /// NV12: a Y plane, then one plane of interleaved U, V at half the
    /// resolution both ways (4:2:0), with the Y plane's stride.
    case nv12 = "NV12"
    /// YU12 (I420): a Y plane, then U and V planes at half the resolution
    /// both ways (4:2:0), each with half the Y plane's stride.
    case yu12 = "YU12"

    /// The fourcc's text: "XR24", … ("R8" for `R8  `, whose code ends in two spaces).
    public var fourcc: String { rawValue }

    public var description: String { rawValue }

    /// The 32-bit code, as `DRM_FORMAT_*` (`fourcc_code(a, b, c, d)`:
    /// the first character in the low byte).
    public var code: UInt32 {
        let chars = Array((rawValue + "  ").utf8.prefix(4))
        return UInt32(chars[0]) | UInt32(chars[1]) << 8 | UInt32(chars[2]) << 16 | UInt32(chars[3]) << 24
    }

    /// The lower-case name libdrm gives it after `DRM_FORMAT_`.
    public var drmName: String {
        switch self {
        case .xrgb8888: return "xrgb8888"
        case .argb8888: return "argb8888"
        case .xbgr8888: return "xbgr8888"
        case .abgr8888: return "abgr8888"
        case .rgb888: return "rgb888"
        case .bgr888: return "bgr888"
        case .rgb565: return "rgb565"
        case .r8: return "r8"
        case .yuyv: return "yuyv"
        case .uyvy: return "uyvy"
        case .nv12: return "nv12"
        case .yu12: return "yuv420"
        }
    }

    /// The names `init(parsing:)` accepts besides the fourcc (lower case).
    public var aliases: [String] {
        switch self {
        case .xrgb8888: return ["xrgb8888"]
        case .argb8888: return ["argb8888"]
        case .xbgr8888: return ["xbgr8888"]
        case .abgr8888: return ["abgr8888"]
        case .rgb888: return ["rgb888"]
        case .bgr888: return ["bgr888"]
        case .rgb565: return ["rgb565"]
        case .r8: return ["r8", "grey", "gray"]
        case .yuyv: return ["yuyv", "yuy2"]
        case .uyvy: return ["uyvy"]
        case .nv12: return ["nv12"]
        case .yu12: return ["yu12", "i420", "yuv420"]
        }
    }

    /// The format a fourcc or an alias names, in any case ("XR24",
    /// "xrgb8888", "YUY2", "grey", "i420", …).
    public init(parsing text: String) throws(FrameError) {
        let wanted = text.trimmingSpaces
        for format in Self.allCases
        where format.rawValue.lowercased() == wanted.lowercased() || format.aliases.contains(wanted.lowercased()) {
            self = format
            return
        }
        throw .unknownFormat(text)
    }

    /// The format a DRM fourcc code names (`DRM_FORMAT_XRGB8888`, …), if supported.
    public init?(code: UInt32) {
        guard let format = Self.allCases.first(where: { $0.code == code }) else { return nil }
        self = format
    }

    /// The format a V4L2 pixel format (`v4l2_pix_format.pixelformat`)
    /// lays out the same way in memory, if supported. V4L2 has fourccs of
    /// its own: `RGB3` (R, G, B) is DRM's `BG24`, `BGR3` is `RG24`,
    /// `XR24`/`AR24` (`V4L2_PIX_FMT_XBGR32`/`ABGR32`: B, G, R, X/A) are DRM's
    /// too, `BGR4` is `XR24`, `XB24`/`AB24` (`RGBX32`/`RGBA32`) are DRM's,
    /// `RGBP` is `RG16`, `GREY` is `R8`, `YU12` (`YUV420`) is `YU12`.
    public init?(v4l2 code: UInt32) {
        switch fourccText(code) {
        case "YUYV": self = .yuyv
        case "UYVY": self = .uyvy
        case "NV12": self = .nv12
        case "YU12": self = .yu12
        case "RGB3": self = .bgr888
        case "BGR3": self = .rgb888
        case "XR24", "BGR4": self = .xrgb8888
        case "AR24": self = .argb8888
        case "XB24": self = .xbgr8888
        case "AB24": self = .abgr8888
        case "RGBP": self = .rgb565
        case "GREY": self = .r8
        default: return nil
        }
    }

    /// Bytes per pixel of a packed format; of the Y plane for NV12 and YU12.
    public var bytesPerPixel: Int {
        switch self {
        case .xrgb8888, .argb8888, .xbgr8888, .abgr8888: return 4
        case .rgb888, .bgr888: return 3
        case .rgb565, .yuyv, .uyvy: return 2
        case .r8, .nv12, .yu12: return 1
        }
    }

    /// Whether its pixels carry alpha (AR24, AB24): the frame is then RGBA,
    /// else RGB.
    public var hasAlpha: Bool { self == .argb8888 || self == .abgr8888 }

    /// Whether it is a planar 4:2:0 format (NV12, YU12).
    public var isPlanar: Bool { self == .nv12 || self == .yu12 }

    /// Whether it is YUV (converted with BT.601 limited range).
    public var isYUV: Bool { [.yuyv, .uyvy, .nv12, .yu12].contains(self) }

    /// "XR24 AR24 … YU12": every fourcc, what an unknown format is told.
    public static var knownList: String {
        allCases.map(\.rawValue).joined(separator: " ")
    }

    /// Every alias that is not a fourcc in lower case, in order.
    public static var aliasList: String {
        allCases.flatMap { format in format.aliases.filter { $0 != format.rawValue.lowercased() } }
            .joined(separator: " ")
    }
}

/// A 32-bit fourcc code as its four characters ("YUYV"), trailing spaces
/// dropped; a byte that is not printable ASCII as "?".
public func fourccText(_ code: UInt32) -> String {
    let bytes = (0..<4).map { UInt8(truncatingIfNeeded: code >> (8 * $0)) }
    return String(bytes.map { $0 >= 0x20 && $0 < 0x7f ? Character(UnicodeScalar($0)) : "?" }).trimmingSpaces
}

extension String {
    /// Without leading and trailing spaces (no Foundation).
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}
