// SPDX-License-Identifier: Apache-2.0
@testable import adopt
import ArgumentParser
import Foundation
import RemoteFDImage
import Testing

@Suite("Terminal graphics: base64, kitty's protocol, sixel, the terminal's replies")
struct TerminalGraphicsTests {
    // MARK: base64

    @Test("base64: RFC 4648's test vectors (section 10)", arguments: [
        ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy"),
    ])
    func base64Vectors(text: String, encoded: String) {
        #expect(Base64.encodeString(Array(text.utf8)) == encoded)
    }

    @Test("base64: every byte value and every length up to 300 as Foundation encodes them")
    func base64AgainstFoundation() {
        var generator = SystemRandomNumberGenerator()
        let all = (0...255).map { UInt8($0) }
        #expect(Base64.encodeString(all) == Data(all).base64EncodedString())
        for length in 0...300 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            #expect(Base64.encodeString(bytes) == Data(bytes).base64EncodedString(), "length \(length)")
        }
    }

    // MARK: kitty

    /// The APC chunks of kitty's protocol in `text`: keys and payload.
    static func kittyChunks(_ text: String) -> [(keys: [String], payload: String)] {
        var chunks: [(keys: [String], payload: String)] = []
        var rest = text[...]
        while let start = rest.range(of: "\u{1B}_G") {
            guard let end = rest[start.upperBound...].range(of: "\u{1B}\\") else { break }
            let body = rest[start.upperBound..<end.lowerBound]
            let parts = body.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)
            chunks.append((parts[0].split(separator: ",").map(String.init), parts.count > 1 ? String(parts[1]) : ""))
            rest = rest[end.upperBound...]
        }
        return chunks
    }

    /// A 64x64 image of noise: a PNG of it does not compress below 4096 bytes.
    static func noise(width: Int = 64, height: Int = 64) -> RGBAImage {
        var state: UInt32 = 12345
        let pixels = (0..<(width * height * 3)).map { _ -> UInt8 in
            state = state &* 1_103_515_245 &+ 12345
            return UInt8(truncatingIfNeeded: state >> 16)
        }
        return RGBAImage(width: width, height: height, channels: 3, pixels: pixels)
    }

    @Test("kitty: a PNG over 4096 base64 bytes goes in chunks, m=1 … m=0, each at most 4096, decoding to the PNG")
    func kittyChunking() throws {
        let png = try PNGEncoder().encode(Self.noise())
        #expect(png.count > 3 * 4096)
        let text = TerminalGraphics.kitty(png: png, columns: 20, rows: 10)
        let chunks = Self.kittyChunks(text)
        try #require(chunks.count == (png.count + 2) / 3 * 4 / 4096 + ((png.count + 2) / 3 * 4 % 4096 == 0 ? 0 : 1))
        #expect(chunks.count >= 4)
        #expect(chunks[0].keys == ["a=T", "f=100", "m=1", "c=20", "r=10", "q=2"])
        for chunk in chunks.dropFirst().dropLast() { #expect(chunk.keys == ["m=1"]) }
        #expect(chunks.last?.keys == ["m=0"])
        for chunk in chunks.dropLast() { #expect(chunk.payload.utf8.count == 4096) }
        #expect(chunks.allSatisfy { $0.payload.utf8.count <= 4096 && $0.payload.utf8.count % 4 == 0 })
        let joined = chunks.map(\.payload).joined()
        #expect(Data(base64Encoded: joined).map { [UInt8]($0) } == png)
        // Nothing but the chunks.
        #expect(text == chunks.map { "\u{1B}_G" + $0.keys.joined(separator: ",") + ";" + $0.payload + "\u{1B}\\" }.joined())
    }

    @Test("kitty: a small PNG is one chunk with m=0; an image id; deleting it")
    func kittySmall() throws {
        let png = try PNGEncoder().encode(RGBAImage(width: 2, height: 2, channels: 3, pixels: [UInt8](repeating: 9, count: 12)))
        let chunks = Self.kittyChunks(TerminalGraphics.kitty(png: png, imageID: 77))
        try #require(chunks.count == 1)
        #expect(chunks[0].keys == ["a=T", "f=100", "m=0", "q=2", "i=77"])
        #expect(Data(base64Encoded: chunks[0].payload).map { [UInt8]($0) } == png)
        #expect(TerminalGraphics.kittyDelete(imageID: 77) == "\u{1B}_Ga=d,d=I,i=77,q=2\u{1B}\\")
    }

    @Test("kitty: the picture fitted to the cells at the terminal's cell size, the PNG no larger than shown")
    func kittyPicture() throws {
        // 8x8 in 80x22 cells of 10x20 pixels: 440x440 pixels, 44x22 cells;
        // the PNG stays 8x8 (the terminal scales it up).
        let small = try TerminalPicture.picture(ImageTests.quadrants, mode: .kitty, columns: 80, rows: 22, cell: (10, 20))
        let chunks = Self.kittyChunks(small)
        #expect(chunks.first?.keys == ["a=T", "f=100", "m=0", "c=44", "r=22", "q=2"])
        let png = try #require(Data(base64Encoded: chunks.map(\.payload).joined()).map { [UInt8]($0) })
        #expect(Array(png[16..<24]) == [0, 0, 0, 4, 0, 0, 0, 4])
        #expect(small.hasSuffix("\u{1B}\\\n"))
        // 640x360 in 20x10 cells of 8x16: 160x90 pixels sent, 20x6 cells.
        let big = try TerminalPicture.picture(Self.noise(width: 640, height: 360), mode: .kitty, columns: 20, rows: 10)
        let bigChunks = Self.kittyChunks(big)
        #expect(Array(bigChunks[0].keys.prefix(5)) == ["a=T", "f=100", "m=1", "c=20", "r=6"])
        let bigPNG = try #require(Data(base64Encoded: bigChunks.map(\.payload).joined()).map { [UInt8]($0) })
        #expect(Array(bigPNG[16..<24]) == [0, 0, 0, 160, 0, 0, 0, 90])
    }

    @Test("fitPixels keeps the aspect ratio at the cell size and rounds to whole cells")
    func fitPixels() {
        #expect(TerminalPicture.fitPixels(width: 8, height: 8, columns: 80, rows: 22, cellWidth: 10, cellHeight: 20)
            == (440, 440, 44, 22))
        #expect(TerminalPicture.fitPixels(width: 1920, height: 1080, columns: 80, rows: 22, cellWidth: 8, cellHeight: 16)
            == (626, 352, 78, 22))
        #expect(TerminalPicture.fitPixels(width: 640, height: 360, columns: 80, rows: 100, cellWidth: 8, cellHeight: 16)
            == (640, 360, 80, 23))
        #expect(TerminalPicture.fitPixels(width: 1, height: 1000, columns: 80, rows: 10, cellWidth: 8, cellHeight: 16)
            == (1, 160, 1, 10))
    }

    // MARK: sixel

    @Test("sixel: DCS … q, the four colours of a 4-colour frame as #n;2;R;G;B in percent, ST")
    func sixelQuadrants() throws {
        let text = try SixelEncoder.encodeString(ImageTests.quadrants)
        #expect(text.hasPrefix("\u{1B}P"), "\(text.debugDescription)")
        #expect(text.hasSuffix("\u{1B}\\"))
        let q = try #require(text.firstIndex(of: "q"))
        #expect(text[text.index(text.startIndex, offsetBy: 2)..<q].allSatisfy { $0.isNumber || $0 == ";" })
        // Raster attributes: aspect 1:1, 4x4 pixels.
        #expect(text[text.index(after: q)...].hasPrefix("\"1;1;4;4"))
        var palette: [String: Int] = [:]
        for entry in Self.sixelPalette(text) { palette[entry.rgb] = entry.number }
        #expect(Set(palette.keys) == ["100;0;0", "0;100;0", "0;0;100", "100;100;100"], "\(palette)")
        #expect(Set(palette.values).count == 4)
        // No C1 controls: 7-bit all through.
        #expect(text.utf8.allSatisfy { $0 < 0x80 })
    }

    /// The colour definitions `#N;2;R;G;B` of a sixel string.
    static func sixelPalette(_ text: String) -> [(number: Int, rgb: String)] {
        var entries: [(number: Int, rgb: String)] = []
        let scalars = Array(text.unicodeScalars)
        var i = 0
        while i < scalars.count {
            guard scalars[i] == "#" else {
                i += 1
                continue
            }
            var j = i + 1
            var field = ""
            while j < scalars.count, scalars[j] == ";" || ("0"..."9").contains(scalars[j]) {
                field.unicodeScalars.append(scalars[j])
                j += 1
            }
            let parts = field.split(separator: ";", omittingEmptySubsequences: false)
            if parts.count == 5, parts[1] == "2", let n = Int(parts[0]) {
                entries.append((n, parts[2...].joined(separator: ";")))
            }
            i = j
        }
        return entries
    }

    @Test("sixel: an image of more colours than the palette is quantized to at most 256")
    func sixelQuantized() throws {
        let text = try SixelEncoder.encodeString(Self.noise())
        #expect(text.hasPrefix("\u{1B}P") && text.hasSuffix("\u{1B}\\"))
        let palette = Self.sixelPalette(text)
        #expect(palette.count >= 16 && palette.count <= 256, "\(palette.count)")
        // One colour: a palette of it (libsixel's least is two entries).
        let grey = try SixelEncoder.encodeString(RGBAImage(width: 3, height: 7, channels: 3, pixels: [UInt8](repeating: 128, count: 63)))
        #expect(Self.sixelPalette(grey).allSatisfy { $0.rgb == "50;50;50" })
        #expect(grey.contains("\"1;1;3;7"))
    }

    @Test("sixel: the picture scaled to the pixels of the cells it fits, then a newline")
    func sixelPicture() throws {
        let text = try TerminalPicture.picture(ImageTests.quadrants, mode: .sixel, columns: 80, rows: 22, cell: (10, 20))
        #expect(text.hasPrefix("\u{1B}P") && text.hasSuffix("\u{1B}\\\n"))
        #expect(text.contains("\"1;1;440;440"))
    }

    // MARK: the terminal's replies

    static func replies(_ text: String) -> TerminalGraphics.Replies {
        TerminalGraphics.Replies(parsing: Array(text.utf8))
    }

    @Test("replies: kitty's OK, DA1 with and without 4, errors, garbage, nothing", arguments: [
        // kitty answers its query, then DA1.
        ("\u{1B}_Gi=31;OK\u{1B}\\\u{1B}[?62;22c", TerminalGraphics.Mode.kitty, true),
        ("\u{1B}_Gi=31;OK\u{1B}\\\u{1B}[?62;4;22c", .kitty, true),
        // kitty's answer alone (DA1's not yet come): kitty, still waiting.
        ("\u{1B}_Gi=31;OK\u{1B}\\", .kitty, false),
        // xterm -ti vt340, foot, mlterm: sixel.
        ("\u{1B}[?63;1;2;4;6;9;15;22c", .sixel, true),
        ("\u{1B}[?62;4c", .sixel, true),
        ("\u{1B}[?4c", .sixel, true),
        // VTE, tmux, plain xterm: no 4 (14 and 42 are not 4).
        ("\u{1B}[?65;1;9c", .blocks, true),
        ("\u{1B}[?1;2c", .blocks, true),
        ("\u{1B}[?62;14;42c", .blocks, true),
        ("\u{1B}[?c", .blocks, true),
        // kitty's protocol refused (an error, another id): by DA1.
        ("\u{1B}_Gi=31;EINVAL:unsupported\u{1B}\\\u{1B}[?62;4c", .sixel, true),
        ("\u{1B}_Gi=32;OK\u{1B}\\\u{1B}[?62c", .blocks, true),
        // Keys typed meanwhile and other answers around them.
        ("ab\u{1B}[2;5Rxy\u{1B}[?62;4cz", .sixel, true),
        ("\u{1B}]11;rgb:0000/0000/0000\u{1B}\\\u{1B}_Gi=31;OK\u{1B}\\\u{1B}[?1;2c", .kitty, true),
        // Garbage, something cut short, nothing at all (a timeout).
        ("\u{1B}\u{1B}[[[?;;xyz\u{1B}", .blocks, false),
        ("\u{1B}[?62;4", .blocks, false),
        ("\u{1B}_Gi=31;OK", .blocks, false),
        ("", .blocks, false),
    ])
    func replies(text: String, mode: TerminalGraphics.Mode, complete: Bool) {
        let replies = Self.replies(text)
        #expect(replies.mode == mode, "\(text.debugDescription): \(replies)")
        #expect(replies.isComplete == complete, "\(text.debugDescription): \(replies)")
    }

    @Test("DA1's attributes, in order")
    func attributes() {
        #expect(Self.replies("\u{1B}[?63;1;2;4;6c").attributes == [63, 1, 2, 4, 6])
        #expect(Self.replies("junk").attributes == nil)
        #expect(TerminalGraphics.kittyQuery == "\u{1B}_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\u{1B}\\")
        #expect(TerminalGraphics.deviceAttributesQuery == "\u{1B}[c")
    }

    @Test("no terminal to ask (a path that is not one): nil, and auto into a pipe is half blocks")
    func noTerminal() {
        #expect(TerminalGraphics.query(timeoutMilliseconds: 50, path: "/dev/null") == nil)
        #expect(TerminalGraphics.query(timeoutMilliseconds: 50, path: "/nonexistent") == nil)
        #expect(ViewMode.auto.resolve(isTerminal: false) == .blocks)
        #expect(ViewMode.sixel.resolve(isTerminal: false) == .sixel)
        #expect(ViewMode.kitty.resolve(isTerminal: true) == .kitty)
        #expect(ViewMode.blocks.resolve(isTerminal: true) == .blocks)
    }

    @Test("--view-mode: the four modes; refused without --format, with --image, or unknown")
    func viewModeOption() throws {
        for mode in ViewMode.allCases {
            let options = try FrameOptions.parse(["--format", "XR24", "--size", "8x8", "--view", "--view-mode", mode.rawValue])
            #expect(try options.request()?.viewMode == mode)
        }
        #expect(try FrameOptions.parse(["--format", "XR24", "--size", "8x8"]).request()?.viewMode == .auto)
        #expect(throws: (any Error).self) { try FrameOptions.parse(["--view-mode", "iterm"]) }
        #expect(throws: ValidationError.self) { try FrameOptions.parse(["--view-mode", "kitty"]).request() }
        #expect(throws: ValidationError.self) {
            try FrameOptions.parse(["--format", "XR24", "--size", "8x8", "--image", "a.png", "--view-mode", "kitty"]).request()
        }
    }
}
