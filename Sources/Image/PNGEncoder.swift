// SPDX-License-Identifier: Apache-2.0
internal import CSpng
import Glibc
import SystemPackage

/// Writes an `RGBAImage` as PNG with libspng: 8-bit truecolour (colour type
/// 2) for an RGB image, with alpha (colour type 6) for an RGBA one, not
/// interlaced.
public struct PNGEncoder: Sendable {
    /// zlib's compression level, 0 (none) to 9 (smallest). Default 1: for
    /// frames of a screen or camera the fastest level costs a few percent in
    /// size and saves most of the time (BENCHMARKS.md, "Frames as PNG").
    public var compressionLevel: Int
    /// The PNG row filter (prediction) applied before compression.
    public var filter: Filter

    /// PNG's row filters: one for every row, or `adaptive`, libspng trying
    /// all five on each row and keeping the best (about twice the time of
    /// one filter at level 1, for a few percent in size).
    public enum Filter: Sendable, Equatable {
        /// No prediction (`SPNG_DISABLE_FILTERING`): fastest, largest.
        case none
        case sub
        /// Each byte less the one above it: what a frame of a screen or a
        /// camera, smooth from row to row, compresses best with for its cost.
        case up
        case average
        case paeth
        /// Each row's best of the five (`SPNG_FILTER_CHOICE_ALL`).
        case adaptive

        var spngChoice: Int32 {
            switch self {
            case .none: return Int32(SPNG_DISABLE_FILTERING.rawValue)
            case .sub: return Int32(SPNG_FILTER_CHOICE_SUB.rawValue)
            case .up: return Int32(SPNG_FILTER_CHOICE_UP.rawValue)
            case .average: return Int32(SPNG_FILTER_CHOICE_AVG.rawValue)
            case .paeth: return Int32(SPNG_FILTER_CHOICE_PAETH.rawValue)
            case .adaptive: return Int32(SPNG_FILTER_CHOICE_ALL.rawValue)
            }
        }
    }

    /// Defaults: zlib level 1 and the Up filter. A 1920x1080 test frame
    /// (ffmpeg's testsrc2) encodes in about a third of ffmpeg's time to a
    /// PNG of about its size; level 6 with adaptive filtering would be
    /// 8 % smaller and 2.5 times slower (BENCHMARKS.md, "Frames as PNG").
    public init(compressionLevel: Int = 1, filter: Filter = .up) {
        self.compressionLevel = compressionLevel
        self.filter = filter
    }

    /// The PNG file's bytes.
    public func encode(_ image: RGBAImage) throws(PNGError) -> [UInt8] {
        guard let ctx = spng_ctx_new(Int32(SPNG_CTX_ENCODER.rawValue)) else {
            throw PNGError("cannot create a libspng encoder", errno: .noMemory)
        }
        defer { spng_ctx_free(ctx) }
        func check(_ rc: Int32, _ step: String) throws(PNGError) {
            guard rc == 0 else { throw PNGError("libspng: \(step): \(String(cString: spng_strerror(rc)))") }
        }
        try check(spng_set_option(ctx, SPNG_ENCODE_TO_BUFFER, 1), "SPNG_ENCODE_TO_BUFFER")
        try check(spng_set_option(ctx, SPNG_IMG_COMPRESSION_LEVEL, Int32(max(0, min(9, compressionLevel)))),
                  "compression level \(compressionLevel)")
        try check(spng_set_option(ctx, SPNG_FILTER_CHOICE, filter.spngChoice), "filter \(filter)")
        var ihdr = spng_ihdr()
        ihdr.width = UInt32(image.width)
        ihdr.height = UInt32(image.height)
        ihdr.bit_depth = 8
        ihdr.color_type = UInt8(image.hasAlpha ? SPNG_COLOR_TYPE_TRUECOLOR_ALPHA.rawValue : SPNG_COLOR_TYPE_TRUECOLOR.rawValue)
        try check(spng_set_ihdr(ctx, &ihdr), "IHDR")
        let rc = image.pixels.withUnsafeBytes {
            spng_encode_image(ctx, $0.baseAddress, $0.count, Int32(SPNG_FMT_PNG.rawValue), Int32(SPNG_ENCODE_FINALIZE.rawValue))
        }
        try check(rc, "encoding \(image.width)x\(image.height)")
        var length = 0
        var error: Int32 = 0
        guard let png = spng_get_png_buffer(ctx, &length, &error) else {
            throw PNGError("libspng: no PNG buffer: \(String(cString: spng_strerror(error)))")
        }
        defer { free(png) }
        return Array(UnsafeRawBufferPointer(start: png, count: length))
    }

    /// Writes the PNG to `fd` (its current position; short writes and
    /// EINTR retried).
    public func write(_ image: RGBAImage, to fd: Int32) throws(PNGError) {
        let png = try encode(image)
        if let errno = Self.writeAll(png, to: fd) { throw PNGError("writing the PNG failed", errno: errno) }
    }

    /// Writes all of `bytes` to `fd`; the errno if a write failed.
    static func writeAll(_ bytes: [UInt8], to fd: Int32) -> Errno? {
        bytes.withUnsafeBytes { raw -> Errno? in
            var done = 0
            while done < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 {
                    if Glibc.errno == EINTR { continue }
                    return Errno(rawValue: Glibc.errno)
                }
                done += n
            }
            return nil
        }
    }

    /// Writes the PNG to `path` all or nothing: to a new file beside it
    /// (`.NAME.PID.tmp`, created exclusively, mode 0666 less the umask),
    /// renamed over `path` only once complete. On any failure the
    /// temporary file is removed and `path` is left as it was.
    public func write(_ image: RGBAImage, toFile path: String) throws(PNGError) {
        let png = try encode(image)
        try Self.writeAtomically(png, to: path)
    }

    /// `bytes` to `path` through a temporary file beside it and rename(2).
    public static func writeAtomically(_ bytes: [UInt8], to path: String) throws(PNGError) {
        let slash = path.lastIndex(of: "/")
        let dir = slash.map { String(path[...$0]) } ?? ""
        let base = slash.map { String(path[path.index(after: $0)...]) } ?? path
        var temp = ""
        var fd: Int32 = -1
        for attempt in 0..<100 {
            temp = "\(dir).\(base).\(getpid())\(attempt == 0 ? "" : ".\(attempt)").tmp"
            fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
            if fd >= 0 || Glibc.errno != EEXIST { break }
        }
        guard fd >= 0 else {
            throw PNGError("cannot create \(temp) (beside \(path))", errno: Errno(rawValue: Glibc.errno))
        }
        var ok = false
        defer {
            close(fd)
            if !ok { unlink(temp) }
        }
        if let errno = writeAll(bytes, to: fd) { throw PNGError("writing \(temp) failed", errno: errno) }
        guard rename(temp, path) == 0 else {
            throw PNGError("cannot rename \(temp) to \(path)", errno: Errno(rawValue: Glibc.errno))
        }
        ok = true
    }
}

/// Encoding or writing a PNG failed: what, and the errno where the kernel said.
public struct PNGError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var errno: Errno?

    public init(_ message: String, errno: Errno? = nil) {
        self.message = message
        self.errno = errno
    }

    public var description: String { message }
}
