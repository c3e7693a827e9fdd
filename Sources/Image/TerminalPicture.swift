// SPDX-License-Identifier: Apache-2.0
internal import CShims
import Glibc

/// Draws an image in a terminal with 24-bit colour half blocks: each cell
/// is U+2580 (▀, upper half block) with its foreground the upper pixel
/// (`ESC[38;2;R;G;Bm`) and its background the lower one (`ESC[48;2;R;G;Bm`),
/// so that a cell shows two pixels, one above the other. A colour is
/// written only where it changes from the cell before on the line; every
/// line ends with `ESC[0m` and a newline. Alpha is ignored.
/// `picture(_:mode:…)` draws with a graphics protocol instead
/// (`TerminalGraphics`).
public enum TerminalPicture {
    /// The pixels of a cell assumed when the terminal does not say.
    public static let defaultCellSize = (width: 8, height: 16)

    /// The size of a cell of the terminal on `fd` in pixels: `TIOCGWINSZ`'s
    /// `ws_xpixel` × `ws_ypixel` over its columns × rows; nil when it says
    /// 0 (many terminals, and every pty nobody set it on).
    public static func cellSize(of fd: Int32 = STDOUT_FILENO) -> (width: Int, height: Int)? {
        var size = winsize()
        guard rfd_ioctl_ptr(fd, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0, size.ws_row > 0,
              Int(size.ws_xpixel) >= Int(size.ws_col), Int(size.ws_ypixel) >= Int(size.ws_row)
        else { return nil }
        return (Int(size.ws_xpixel) / Int(size.ws_col), Int(size.ws_ypixel) / Int(size.ws_row))
    }

    /// Where an image of `width` × `height` pixels goes in `columns` ×
    /// `rows` cells of `cellWidth` × `cellHeight` pixels, keeping its aspect
    /// ratio: its size in pixels, as large as fits, and the cells that is
    /// (rounded to the nearest, at least 1 × 1, at most the area).
    public static func fitPixels(width: Int, height: Int, columns: Int, rows: Int,
                                 cellWidth: Int, cellHeight: Int)
        -> (width: Int, height: Int, columns: Int, rows: Int) {
        let cw = max(1, cellWidth), ch = max(1, cellHeight)
        let columns = max(1, columns), rows = max(1, rows)
        let boxW = columns * cw, boxH = rows * ch
        var w = boxW, h = boxH
        if width * boxH <= height * boxW {
            w = max(1, (width * boxH + height / 2) / height)
        } else {
            h = max(1, (height * boxW + width / 2) / width)
        }
        return (w, h, max(1, min(columns, (w + cw / 2) / cw)), max(1, min(rows, (h + ch / 2) / ch)))
    }

    /// The image fitted to `columns` × `rows` cells, drawn in `mode`:
    /// - blocks: `halfBlocks`, scaled to the cells `fit` gives;
    /// - sixel: scaled to the pixels `fitPixels` gives and encoded with
    ///   libsixel (`SixelEncoder`), then a newline;
    /// - kitty: a PNG (`PNGEncoder`, scaled down to those pixels if it is
    ///   larger, never up: the terminal scales it) shown in the cells
    ///   `fitPixels` gives (`TerminalGraphics.kitty`, as image `imageID`
    ///   if given), then a newline.
    /// `cell` is the size of a cell in pixels (`cellSize`, else
    /// `defaultCellSize`).
    public static func picture(_ image: RGBAImage, mode: TerminalGraphics.Mode, columns: Int, rows: Int,
                               cell: (width: Int, height: Int) = defaultCellSize,
                               imageID: UInt32? = nil) throws(FrameError) -> String {
        switch mode {
        case .blocks:
            let cells = fit(width: image.width, height: image.height, columns: columns, rows: rows)
            return try halfBlocks(image, columns: cells.columns, rows: cells.rows)
        case .sixel:
            let box = fitPixels(width: image.width, height: image.height, columns: columns, rows: rows,
                                cellWidth: cell.width, cellHeight: cell.height)
            let scaled = try image.scaled(width: box.width, height: box.height)
            return try SixelEncoder.encodeString(scaled) + "\n"
        case .kitty:
            let box = fitPixels(width: image.width, height: image.height, columns: columns, rows: rows,
                                cellWidth: cell.width, cellHeight: cell.height)
            let sent = box.width < image.width ? try image.scaled(width: box.width, height: box.height) : image
            let png: [UInt8]
            do {
                png = try PNGEncoder().encode(sent)
            } catch {
                throw .encodingFailed("PNG for kitty's graphics protocol: \(error)", nil)
            }
            return TerminalGraphics.kitty(png: png, columns: box.columns, rows: box.rows, imageID: imageID) + "\n"
        }
    }

    /// The size of the terminal on `fd` in cells (`TIOCGWINSZ`), nil when
    /// `fd` is not a terminal or it says 0.
    public static func terminalSize(of fd: Int32 = STDOUT_FILENO) -> (columns: Int, rows: Int)? {
        var size = winsize()
        guard rfd_ioctl_ptr(fd, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0, size.ws_row > 0 else { return nil }
        return (Int(size.ws_col), Int(size.ws_row))
    }

    /// The cells (columns, rows) an image of `width` × `height` pixels
    /// takes when scaled to fit `columns` × `rows` cells keeping its aspect
    /// ratio (a cell is one pixel wide and two high: terminal cells are
    /// about twice as high as wide, so pixels stay square). At least 1 × 1.
    public static func fit(width: Int, height: Int, columns: Int, rows: Int) -> (columns: Int, rows: Int) {
        let maxW = max(1, columns), maxH = max(2, rows * 2)
        // The largest scale at which both fit.
        var w = maxW
        var h = (height * maxW + width / 2) / width
        if h > maxH {
            h = maxH
            w = max(1, (width * maxH + height / 2) / height)
        }
        return (max(1, min(w, maxW)), max(1, (h + 1) / 2))
    }

    /// The image scaled (libyuv) to exactly `columns` × `2 × rows` pixels
    /// and drawn as `rows` lines of `columns` half blocks.
    public static func halfBlocks(_ image: RGBAImage, columns: Int, rows: Int) throws(FrameError) -> String {
        let scaled = try image.scaled(width: max(1, columns), height: max(1, rows) * 2)
        return halfBlocks(scaled)
    }

    /// The image drawn as it is, one cell per two rows (an odd last row
    /// drawn over black).
    public static func halfBlocks(_ image: RGBAImage) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(image.width * (image.height + 1) / 2 * 12 + 64)
        let block: [UInt8] = Array("\u{2580}".utf8)
        let reset: [UInt8] = Array("\u{1B}[0m\n".utf8)
        let black = RGBAImage.Pixel(r: 0, g: 0, b: 0)
        var y = 0
        while y < image.height {
            var lastTop: RGBAImage.Pixel?
            var lastBottom: RGBAImage.Pixel?
            for x in 0..<image.width {
                var top = image[x: x, y: y]
                var bottom = y + 1 < image.height ? image[x: x, y: y + 1] : black
                top.a = 255
                bottom.a = 255
                if top != lastTop { appendColour(38, top, to: &out) }
                if bottom != lastBottom { appendColour(48, bottom, to: &out) }
                lastTop = top
                lastBottom = bottom
                out.append(contentsOf: block)
            }
            out.append(contentsOf: reset)
            y += 2
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `ESC[38;2;R;G;Bm` (layer 38: foreground, 48: background).
    static func appendColour(_ layer: Int, _ p: RGBAImage.Pixel, to out: inout [UInt8]) {
        out.append(contentsOf: [0x1B, UInt8(ascii: "[")])
        appendDecimal(layer, to: &out)
        out.append(contentsOf: [UInt8(ascii: ";"), UInt8(ascii: "2")])
        for v in [p.r, p.g, p.b] {
            out.append(UInt8(ascii: ";"))
            appendDecimal(Int(v), to: &out)
        }
        out.append(UInt8(ascii: "m"))
    }

    static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        if value >= 100 { out.append(UInt8(ascii: "0") + UInt8(value / 100)) }
        if value >= 10 { out.append(UInt8(ascii: "0") + UInt8(value / 10 % 10)) }
        out.append(UInt8(ascii: "0") + UInt8(value % 10))
    }
}
