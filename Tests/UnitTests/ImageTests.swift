// SPDX-License-Identifier: Apache-2.0
@testable import adopt
import Foundation
import RemoteFD
import RemoteFDImage
import Testing
import TestSupport

@Suite("Frames: pixel formats, geometry, conversion, PNG, terminal picture")
struct ImageTests {
    // MARK: PixelFormat

    @Test("every fourcc and alias parses, in any case", arguments: [
        ("XR24", PixelFormat.xrgb8888), ("xrgb8888", .xrgb8888), ("xr24", .xrgb8888),
        ("AR24", .argb8888), ("ARGB8888", .argb8888),
        ("XB24", .xbgr8888), ("xbgr8888", .xbgr8888),
        ("AB24", .abgr8888), ("abgr8888", .abgr8888),
        ("RG24", .rgb888), ("rgb888", .rgb888),
        ("BG24", .bgr888), ("bgr888", .bgr888),
        ("RG16", .rgb565), ("rgb565", .rgb565),
        ("R8", .r8), ("r8", .r8), ("grey", .r8), ("gray", .r8), ("GREY", .r8),
        ("YUYV", .yuyv), ("yuyv", .yuyv), ("yuy2", .yuyv), ("YUY2", .yuyv),
        ("UYVY", .uyvy), ("uyvy", .uyvy),
        ("NV12", .nv12), ("nv12", .nv12),
        ("YU12", .yu12), ("yu12", .yu12), ("i420", .yu12), ("I420", .yu12), ("yuv420", .yu12),
        (" XR24 ", .xrgb8888),
    ])
    func parses(text: String, format: PixelFormat) throws {
        #expect(try PixelFormat(parsing: text) == format)
    }

    @Test("an unknown fourcc is refused, naming every known one")
    func unknownFourcc() {
        #expect(throws: FrameError.unknownFormat("FOO")) { try PixelFormat(parsing: "FOO") }
        #expect(FrameError.unknownFormat("FOO").description
            == "unknown pixel format 'FOO' (known: XR24 AR24 XB24 AB24 RG24 BG24 RG16 R8 YUYV UYVY NV12 YU12; or xrgb8888 argb8888 xbgr8888 abgr8888 rgb888 bgr888 rgb565 grey gray yuy2 i420 yuv420)")
        #expect(FrameError.unknownFormat("FOO").errno == .invalidArgument)
        #expect(throws: FrameError.self) { try PixelFormat(parsing: "") }
        #expect(throws: FrameError.self) { try PixelFormat(parsing: "auto") }
    }

    @Test("codes are libdrm's DRM_FORMAT_* values; V4L2's fourccs map by memory layout")
    func codes() {
        #expect(PixelFormat.xrgb8888.code == 0x3432_5258)  // DRM_FORMAT_XRGB8888
        #expect(PixelFormat.argb8888.code == 0x3432_5241)
        #expect(PixelFormat.nv12.code == 0x3231_564e)
        #expect(PixelFormat.yuyv.code == 0x5659_5559)
        #expect(PixelFormat.r8.code == 0x2020_3852)  // 'R', '8', ' ', ' '
        #expect(PixelFormat(code: 0x3432_5258) == .xrgb8888)
        #expect(PixelFormat(code: 0) == nil)
        func v4l2(_ s: String) -> UInt32 {
            let b = Array(s.utf8)
            return UInt32(b[0]) | UInt32(b[1]) << 8 | UInt32(b[2]) << 16 | UInt32(b[3]) << 24
        }
        #expect(PixelFormat(v4l2: v4l2("YUYV")) == .yuyv)
        #expect(PixelFormat(v4l2: v4l2("RGB3")) == .bgr888)  // R, G, B in memory
        #expect(PixelFormat(v4l2: v4l2("BGR3")) == .rgb888)  // B, G, R in memory
        #expect(PixelFormat(v4l2: v4l2("XR24")) == .xrgb8888)
        #expect(PixelFormat(v4l2: v4l2("YU12")) == .yu12)
        #expect(PixelFormat(v4l2: v4l2("MJPG")) == nil)
        #expect(fourccText(v4l2("RGB3")) == "RGB3")
    }

    // MARK: FrameGeometry

    @Test("default strides and the bytes a frame needs")
    func bytesNeeded() {
        let g = FrameGeometry(width: 64, height: 48)
        #expect(g.stride(for: .xrgb8888) == 256)
        #expect(g.bytesNeeded(for: .xrgb8888) == 64 * 48 * 4)
        #expect(g.bytesNeeded(for: .rgb888) == 64 * 48 * 3)
        #expect(g.bytesNeeded(for: .rgb565) == 64 * 48 * 2)
        #expect(g.bytesNeeded(for: .yuyv) == 64 * 48 * 2)
        #expect(g.bytesNeeded(for: .r8) == 64 * 48)
        #expect(g.stride(for: .nv12) == 64)
        #expect(g.bytesNeeded(for: .nv12) == 64 * 48 * 3 / 2)
        #expect(g.bytesNeeded(for: .yu12) == 64 * 48 * 3 / 2)
        let padded = FrameGeometry(width: 64, height: 48, stride: 80, offset: 100)
        #expect(padded.bytesNeeded(for: .nv12) == 100 + 80 * 48 + 80 * 24)
        #expect(padded.bytesNeeded(for: .yu12) == 100 + 80 * 48 + 2 * 40 * 24)
        #expect(FrameGeometry(size: "640x360") == FrameGeometry(width: 640, height: 360))
        #expect(FrameGeometry(size: "640X360") == FrameGeometry(width: 640, height: 360))
        for bad in ["640", "x360", "640x", "0x10", "-1x10", "1x2x3", "a x b", "+1x2", ""] {
            #expect(FrameGeometry(size: bad) == nil, "\(bad)")
        }
    }

    @Test("validation errors, in words")
    func validation() throws {
        func message(_ g: FrameGeometry, _ f: PixelFormat, size: Int? = nil) -> String? {
            do {
                try g.validate(for: f, bufferSize: size)
                return nil
            } catch {
                return error.description
            }
        }
        #expect(message(FrameGeometry(width: 63, height: 48), .yuyv)
            == "63x48 YUYV: the width must be even (two pixels share one U and one V)")
        #expect(message(FrameGeometry(width: 63, height: 48), .uyvy) != nil)
        #expect(message(FrameGeometry(width: 64, height: 47), .yuyv) == nil)
        #expect(message(FrameGeometry(width: 64, height: 47), .nv12)
            == "64x47 NV12: width and height must be even (four pixels share one U and one V)")
        #expect(message(FrameGeometry(width: 63, height: 48), .yu12) != nil)
        #expect(message(FrameGeometry(width: 64, height: 48, stride: 100), .xrgb8888)
            == "stride 100 is below 64x48 XR24's 256 bytes per row")
        #expect(message(FrameGeometry(width: 64, height: 48, stride: 66), .yu12)
            == nil)
        #expect(message(FrameGeometry(width: 64, height: 48, stride: 65), .yu12)
            == "stride 65: YU12 needs an even stride (its U and V planes' rows are half of it)")
        #expect(message(FrameGeometry(width: 1920, height: 1080), .xrgb8888, size: 4096)
            == "1920x1080 XR24 needs 8294400 bytes at offset 0, the buffer has 4096")
        #expect(message(FrameGeometry(width: 64, height: 48, offset: 1), .xrgb8888, size: 12288)
            == "64x48 XR24 needs 12288 bytes at offset 1, the buffer has 12288")
        #expect(message(FrameGeometry(width: 64, height: 48), .xrgb8888, size: 12288) == nil)
        #expect(message(FrameGeometry(width: 0, height: 48), .r8) == "0x48: width and height must be at least 1")
        let error = FrameError.bufferTooSmall(FrameGeometry(width: 2, height: 2), .r8, needed: 4, bufferSize: 1)
        #expect(error.errno == .invalidArgument)
        #expect(FrameError.shrank(FrameGeometry(width: 2, height: 2), .r8, needed: 4, read: 1, bufferSize: 1).errno == .noData)
    }

    @Test("the CLI names the option a geometry error comes from")
    func cliMessages() throws {
        let memfd = try OwnMemfd("frame-msg", bytes: [UInt8](repeating: 0, count: 4096))
        let file = try memfd.adopt().file
        let spec = FrameSpec(format: .xrgb8888, geometry: FrameGeometry(width: 1920, height: 1080), source: nil, auto: false)
        do {
            try spec.check(size: 4096, file)
            Issue.record("a 4096-byte buffer holds no 1920x1080 XR24 frame")
        } catch {
            #expect("\(error)" == "pid \(getpid()) fd \(memfd.fd): --size 1920x1080 XR24 needs 8294400 bytes at offset 0, the buffer has 4096 (EINVAL)")
        }
        let stride = FrameSpec(format: .xrgb8888, geometry: FrameGeometry(width: 8, height: 8, stride: 10), source: nil, auto: false)
        #expect(throws: AdoptError.self) { try stride.check(size: 4096, file) }
        #expect(FrameOutput.numbered("out.png", 1) == "out-0001.png")
        #expect(FrameOutput.numbered("frames/a.b/out.png", 12) == "frames/a.b/out-0012.png")
        #expect(FrameOutput.numbered("frames/a.b/out", 3) == "frames/a.b/out-0003")
        #expect(FrameOutput.numbered(".hidden", 3) == ".hidden-0003")
        #expect(FrameOutput.numbered("f.png", 12345) == "f-12345.png")
    }

    // MARK: conversion

    /// A 2x2 frame of `format` from its bytes.
    func convert(_ bytes: [UInt8], _ format: PixelFormat, width: Int = 2, height: Int = 2) throws -> RGBAImage {
        try bytes.withUnsafeBytes { try Frame.convert($0, format: format, geometry: FrameGeometry(width: width, height: height)) }
    }

    @Test("packed RGB formats convert exactly, in DRM's byte order")
    func packedRGB() throws {
        // Pixels: red, green, blue, white (alpha 0x80 where there is one).
        let xr24 = try convert([0, 0, 255, 9, 0, 255, 0, 9, 255, 0, 0, 9, 255, 255, 255, 9], .xrgb8888)
        #expect(xr24.channels == 3)
        #expect(xr24.pixels == [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255])
        let ar24 = try convert([0, 0, 255, 0x80, 0, 255, 0, 0x80, 255, 0, 0, 0x80, 255, 255, 255, 0x80], .argb8888)
        #expect(ar24.channels == 4)
        #expect(ar24[x: 0, y: 0] == RGBAImage.Pixel(r: 255, g: 0, b: 0, a: 0x80))
        #expect(ar24[x: 1, y: 1] == RGBAImage.Pixel(r: 255, g: 255, b: 255, a: 0x80))
        let xb24 = try convert([255, 0, 0, 9, 0, 255, 0, 9, 0, 0, 255, 9, 255, 255, 255, 9], .xbgr8888)
        #expect(xb24.pixels == [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255])
        let ab24 = try convert([255, 0, 0, 1, 0, 255, 0, 2, 0, 0, 255, 3, 255, 255, 255, 4], .abgr8888)
        #expect(ab24.pixels == [255, 0, 0, 1, 0, 255, 0, 2, 0, 0, 255, 3, 255, 255, 255, 4])
        let rg24 = try convert([0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 255], .rgb888)
        #expect(rg24.pixels == [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255])
        let bg24 = try convert([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255], .bgr888)
        #expect(bg24.pixels == [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255])
        // RGB565, little-endian: red 0xf800, green 0x07e0, blue 0x001f, white 0xffff.
        let rg16 = try convert([0x00, 0xf8, 0xe0, 0x07, 0x1f, 0x00, 0xff, 0xff], .rgb565)
        #expect(rg16.pixels == [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255])
        let r8 = try convert([0, 85, 170, 255], .r8)
        #expect(r8.pixels == [0, 0, 0, 85, 85, 85, 170, 170, 170, 255, 255, 255])
    }

    @Test("a stride and an offset: only the frame's bytes are read")
    func strideAndOffset() throws {
        // 2x2 XR24 at stride 12 (4 bytes of padding per row), after 3 bytes.
        let bytes: [UInt8] = [7, 7, 7,
                              0, 0, 255, 0, 0, 255, 0, 0, 1, 1, 1, 1,
                              255, 0, 0, 0, 255, 255, 255, 0, 2, 2, 2, 2]
        let image = try bytes.withUnsafeBytes {
            try Frame.convert(UnsafeRawBufferPointer(rebasing: $0[3...]), format: .xrgb8888,
                              geometry: FrameGeometry(width: 2, height: 2, stride: 12, offset: 3))
        }
        #expect(image.pixels == [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255])
    }

    @Test("YUV is BT.601 limited range: Y 16 is black, 235 white, chroma 128 grey")
    func yuvRange() throws {
        // YUYV 2x2: row 0 black, row 1 white.
        let yuyv = try convert([16, 128, 16, 128, 235, 128, 235, 128], .yuyv)
        #expect(yuyv.pixels == [0, 0, 0, 0, 0, 0, 255, 255, 255, 255, 255, 255])
        let uyvy = try convert([128, 16, 128, 16, 128, 235, 128, 235], .uyvy)
        #expect(uyvy.pixels == yuyv.pixels)
        // NV12 2x2: Y plane, one U,V pair.
        let nv12 = try convert([16, 16, 235, 235, 128, 128], .nv12)
        #expect(nv12.pixels == yuyv.pixels)
        let yu12 = try convert([16, 16, 235, 235, 128, 128], .yu12)
        #expect(yu12.pixels == yuyv.pixels)
        // Pure red in BT.601 limited: Y 81, U 90, V 240.
        let red = try convert([81, 81, 81, 81, 90, 240], .nv12)
        for i in stride(from: 0, to: 12, by: 3) {
            #expect(abs(Int(red.pixels[i]) - 255) <= 2 && red.pixels[i + 1] <= 2 && red.pixels[i + 2] <= 2, "\(red.pixels)")
        }
    }

    @Test("Frame.read reads through the access: an adopted memfd of this process")
    func readFromAccess() throws {
        let memfd = try OwnMemfd("frame-read", bytes: [0, 0, 255, 0, 0, 255, 0, 0, 255, 0, 0, 0, 255, 255, 255, 0])
        let access = try memfd.adopt().open()
        let image = try Frame.read(from: access, format: .xrgb8888, geometry: FrameGeometry(width: 2, height: 2))
        #expect(image.pixels == [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255])
        #expect(throws: FrameError.bufferTooSmall(FrameGeometry(width: 4, height: 4), .xrgb8888, needed: 64, bufferSize: 16)) {
            try Frame.read(from: access, format: .xrgb8888, geometry: FrameGeometry(width: 4, height: 4))
        }
    }

    /// A buffer that says it has `size` bytes but reads only `available`:
    /// one that shrank between the check and the read.
    final class ShrinkingAccess: BufferAccess {
        var size: Int
        let available: Int
        init(size: Int, available: Int) {
            self.size = size
            self.available = available
        }
        var mappingInfo: MappingInfo? { nil }
        var notes: [String] { [] }
        func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(AdoptError) -> Int {
            size = available
            let n = max(0, min(buffer.count, available - offset))
            if n > 0 { buffer.baseAddress!.initializeMemory(as: UInt8.self, repeating: 0x40, count: n) }
            return n
        }
        func withMappedBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) throws(AdoptError) -> R {
            throw AdoptError(pid: nil, origin: nil, reason: .other, errno: .notPermitted, "not lent")
        }
    }

    @Test("a buffer that shrinks while read gives FrameError.shrank, not a crash")
    func shrinks() throws {
        let access = ShrinkingAccess(size: 16, available: 6)
        #expect(throws: FrameError.shrank(FrameGeometry(width: 2, height: 2), .xrgb8888, needed: 16, read: 6, bufferSize: 6)) {
            try Frame.read(from: access, format: .xrgb8888, geometry: FrameGeometry(width: 2, height: 2))
        }
        #expect(FrameError.shrank(FrameGeometry(width: 2, height: 2), .xrgb8888, needed: 16, read: 6, bufferSize: 6).description
            == "the buffer shrank while it was read: 2x2 XR24 needs 16 bytes at offset 0, 6 could be read (it has 6 now)")
    }

    // MARK: PNG

    @Test("PNG: signature, IHDR with the size and colour type (2 RGB, 6 RGBA)")
    func png() throws {
        let rgb = RGBAImage(width: 3, height: 2, channels: 3, pixels: [UInt8](repeating: 200, count: 18))
        let bytes = try PNGEncoder().encode(rgb)
        #expect(Array(bytes[0..<8]) == [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
        #expect(Array(bytes[12..<16]) == Array("IHDR".utf8))
        #expect(Array(bytes[16..<24]) == [0, 0, 0, 3, 0, 0, 0, 2])
        #expect(bytes[24] == 8 && bytes[25] == 2)
        let rgba = try PNGEncoder().encode(rgb.withAlpha())
        #expect(rgba[25] == 6)
        #expect(Array(bytes.suffix(8)) == Array("IEND".utf8) + [0xae, 0x42, 0x60, 0x82])
    }

    @Test("PNG to a file: all or nothing, nothing left beside it on failure")
    func pngFile() throws {
        let dir = try TempDir("png")
        let image = RGBAImage(width: 1, height: 1, channels: 3, pixels: [1, 2, 3])
        try PNGEncoder().write(image, toFile: dir.file("a.png"))
        #expect(FileManager.default.fileExists(atPath: dir.file("a.png")))
        #expect(throws: PNGError.self) { try PNGEncoder().write(image, toFile: dir.file("missing/a.png")) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["a.png"])
    }

    // MARK: terminal

    /// 4x4: top left red, top right green, bottom left blue, bottom right white.
    static let quadrants: RGBAImage = {
        var pixels: [UInt8] = []
        for y in 0..<4 {
            for x in 0..<4 {
                switch (y < 2, x < 2) {
                case (true, true): pixels += [255, 0, 0]
                case (true, false): pixels += [0, 255, 0]
                case (false, true): pixels += [0, 0, 255]
                case (false, false): pixels += [255, 255, 255]
                }
            }
        }
        return RGBAImage(width: 4, height: 4, channels: 3, pixels: pixels)
    }()

    @Test("half blocks of a 4-colour 4x4 frame: foreground the upper pixel, background the lower")
    func halfBlocks() throws {
        let esc = "\u{1B}["
        let red = "255;0;0", green = "0;255;0", blue = "0;0;255", white = "255;255;255"
        let text = TerminalPicture.halfBlocks(Self.quadrants)
        // 4 columns x 2 rows; a colour only where it changes along the line.
        let expected = "\(esc)38;2;\(red)m\(esc)48;2;\(red)m▀▀\(esc)38;2;\(green)m\(esc)48;2;\(green)m▀▀\(esc)0m\n"
            + "\(esc)38;2;\(blue)m\(esc)48;2;\(blue)m▀▀\(esc)38;2;\(white)m\(esc)48;2;\(white)m▀▀\(esc)0m\n"
        #expect(text == expected)
        // Scaled (libyuv, box filter) to 2 columns x 1 row: each cell one quadrant above another.
        let small = try TerminalPicture.halfBlocks(Self.quadrants, columns: 2, rows: 1)
        #expect(small == "\(esc)38;2;\(red)m\(esc)48;2;\(blue)m▀\(esc)38;2;\(green)m\(esc)48;2;\(white)m▀\(esc)0m\n")
        // Grown (nearest pixels) to 8 x 4: still four sharp quadrants.
        let big = try TerminalPicture.halfBlocks(Self.quadrants, columns: 8, rows: 4)
        #expect(big.split(separator: "\n").count == 4)
        #expect(big.hasPrefix("\(esc)38;2;\(red)m\(esc)48;2;\(red)m▀▀▀▀\(esc)38;2;\(green)m"))
    }

    @Test("fit keeps the aspect ratio with square pixels (a cell is 1x2)")
    func fit() {
        #expect(TerminalPicture.fit(width: 8, height: 8, columns: 40, rows: 18) == (36, 18))
        #expect(TerminalPicture.fit(width: 1920, height: 1080, columns: 80, rows: 22) == (78, 22))
        #expect(TerminalPicture.fit(width: 640, height: 360, columns: 80, rows: 100) == (80, 23))
        #expect(TerminalPicture.fit(width: 1, height: 1000, columns: 80, rows: 10) == (1, 10))
    }
}
