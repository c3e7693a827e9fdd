// SPDX-License-Identifier: Apache-2.0
import ArgumentParser
import Glibc
import RemoteFD
import RemoteFDImage

/// `--format`, `--size`, `--stride`, `--image`, `--view`: the buffer as a
/// frame (RemoteFDImage). The frame's byte offset is the command's
/// `--offset`.
struct FrameOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Treat the buffer as a frame in this pixel format: a DRM fourcc (XR24 AR24 XB24 AB24 RG24 BG24 RG16 R8 YUYV UYVY NV12 YU12), an alias (xrgb8888, rgb565, grey, yuy2, i420, …), or auto: a dma-buf a V4L2 driver exported, in the format of the video device its owner holds (VIDIOC_G_FMT). --offset is the frame's byte offset.",
        valueName: "FOURCC"))
    var format: String?

    @Option(name: .long, help: ArgumentHelp("The frame's size in pixels (with --format, not auto).", valueName: "WxH"))
    var size: String?

    @Option(name: .long, help: ArgumentHelp("Bytes from one row to the next (of the Y plane for NV12 and YU12; default: the least the width allows).", valueName: "N"))
    var stride: Int?

    @Option(name: .long, help: ArgumentHelp("Write the frame as a PNG to FILE ('-': standard output), all or nothing; with --follow, FILE-0001.png, FILE-0002.png, … each round.", valueName: "FILE"))
    var image: String?

    @Flag(name: .long, help: "Draw the frame in the terminal, scaled to fit it (--view-mode: kitty's graphics protocol, sixel or 24-bit colour half blocks); the default preview with --format when standard output is a terminal. With --follow, redrawn in place.")
    var view = false

    @Option(name: .long, help: ArgumentHelp(
        "How --view draws: kitty (kitty's graphics protocol), sixel, blocks (24-bit colour half blocks), or auto: what the terminal answers to kitty's query and to DA1 (within 200 ms; half blocks if it does not answer, and when standard output is not a terminal).",
        valueName: "MODE"))
    var viewMode: ViewMode?

    /// What was asked, nil without --format (then the others are refused).
    func request() throws -> FrameRequest? {
        guard let format else {
            if size != nil || stride != nil || image != nil || view || viewMode != nil {
                throw ValidationError("--size, --stride, --image, --view and --view-mode need --format")
            }
            return nil
        }
        let auto = format.lowercased() == "auto"
        if auto && (size != nil || stride != nil) {
            throw ValidationError("--format auto takes the size and stride from the video device: no --size or --stride")
        }
        if !auto && size == nil { throw ValidationError("--format \(format) needs --size WxH") }
        if let size, FrameGeometry(size: size) == nil {
            throw ValidationError("--size: '\(size)' is not WIDTHxHEIGHT (two numbers above 0, such as 640x360)")
        }
        if let stride, stride <= 0 { throw ValidationError("--stride must be > 0") }
        if image != nil && view { throw ValidationError("choose one of --image and --view") }
        if image != nil && viewMode != nil { throw ValidationError("--view-mode is how --view draws: not with --image") }
        return FrameRequest(format: format, size: size, stride: stride, image: image, view: view,
                            viewMode: viewMode ?? .auto)
    }
}

/// `--view-mode`: a graphics protocol, or auto (ask the terminal).
enum ViewMode: String, CaseIterable, ExpressibleByArgument, Equatable {
    case auto, kitty, sixel, blocks

    /// The mode to draw in: as given, or for auto, when standard output is
    /// a terminal, what the controlling terminal answers (half blocks if
    /// nothing in time); half blocks for auto into a pipe or a file.
    func resolve(isTerminal: Bool = isatty(STDOUT_FILENO) == 1) -> TerminalGraphics.Mode {
        switch self {
        case .kitty: return .kitty
        case .sixel: return .sixel
        case .blocks: return .blocks
        case .auto: return isTerminal ? TerminalGraphics.detect() : .blocks
        }
    }
}

/// The frame options as given (parsed further once the buffer is adopted,
/// so that every error names it).
struct FrameRequest: Equatable {
    var format: String
    var size: String?
    var stride: Int?
    var image: String?
    var view = false
    var viewMode: ViewMode = .auto

    var isAuto: Bool { format.lowercased() == "auto" }

    /// The frame's format and geometry: as given (checked against the
    /// buffer), or for `auto` asked of the owner's video device. Errors are
    /// about `adoption`'s buffer, one line each.
    func resolve(_ adoption: Adoption, access: any BufferAccess, offset: Int,
                 owner: TargetProcess?, via: BackendChoice) throws -> FrameSpec {
        let file = adoption.file
        let spec: FrameSpec
        if isAuto {
            guard adoption.type == "dmabuf" else {
                throw file.error(.invalidArgument, "--format auto: this is a \(adoption.type): only a dma-buf a V4L2 driver exported has a format to ask for (give --format and --size)")
            }
            guard let owner, owner.isAlive else {
                throw file.error(.noSuchProcess, "--format auto: the buffer's owner is not running: no video device to ask (give --format and --size)")
            }
            let found: DiscoveredFrameFormat
            do {
                found = try VideoDeviceFormat.discover(owner: owner, backend: chosenBackend(via))
            } catch let error as FrameError {
                throw file.error(error.errno, "--format auto: \(error)")
            }
            var geometry = found.geometry
            geometry.offset = offset
            spec = FrameSpec(format: found.format, geometry: geometry, source: found.source, auto: true)
        } else {
            let format: PixelFormat
            do {
                format = try PixelFormat(parsing: self.format)
            } catch {
                throw file.error(error.errno, "--format: \(error)")
            }
            guard let geometry = size.flatMap({ FrameGeometry(size: $0, stride: stride, offset: offset) }) else {
                preconditionFailure("FrameOptions.request() checks --size")
            }
            spec = FrameSpec(format: format, geometry: geometry, source: nil, auto: false)
        }
        try spec.check(size: access.size, file)
        return spec
    }
}

/// A frame's format and geometry, and where they came from (nil: given).
struct FrameSpec {
    var format: PixelFormat
    var geometry: FrameGeometry
    var source: String?
    var auto: Bool

    /// "YUYV 640x360 stride 1280 offset 0".
    var summary: String {
        "\(format) \(geometry) stride \(geometry.stride(for: format)) offset \(geometry.offset)"
    }

    /// The geometry against a buffer of `size` bytes.
    func check(size: Int, _ file: AdoptedFile) throws {
        do {
            try geometry.validate(for: format, bufferSize: size)
        } catch {
            throw Self.error(error, file, auto: auto)
        }
    }

    /// A FrameError as the one-line error about `file`, naming the option
    /// it comes from ("--size 1920x1080 XR24 needs …").
    static func error(_ error: FrameError, _ file: AdoptedFile, auto: Bool) -> AdoptError {
        let prefix: String
        switch error {
        case _ where auto: prefix = "--format auto: "
        case .emptySize, .tooLarge, .oddWidth, .oddSize, .bufferTooSmall: prefix = "--size "
        case .strideTooSmall, .oddStride: prefix = "--"
        default: prefix = ""
        }
        return file.error(error.errno, prefix + error.description)
    }

    /// Reads the frame; errors about `file`.
    func read(_ access: any BufferAccess, _ file: AdoptedFile) throws -> RGBAImage {
        do {
            return try Frame.read(from: access, format: format, geometry: geometry)
        } catch let error as FrameError {
            throw Self.error(error, file, auto: auto)
        }
    }
}

/// What the CLI does with a frame: write it as PNG, draw it, follow it.
struct FrameOutput {
    let adoption: Adoption
    let access: any BufferAccess
    let spec: FrameSpec
    let request: FrameRequest

    var file: AdoptedFile { adoption.file }

    /// The `format:` line for auto (where the format came from), on stderr.
    func announceSource() {
        if spec.auto, let source = spec.source {
            printError("adopt: \(file.source): format: \(spec.format) \(spec.geometry) stride \(spec.geometry.stride(for: spec.format)) (\(source))")
        }
    }

    /// `--image FILE`: the frame as PNG; "-" is standard output. Nothing
    /// is written on error.
    func writeImage(to path: String) throws {
        let image = try spec.read(access, file)
        try Self.write(image, to: path, file)
        if path != "-" {
            printError("adopt: \(file.source): \(spec.geometry) \(spec.format) frame written to \(path) (PNG, \(image.hasAlpha ? "RGBA" : "RGB"))")
        }
    }

    static func write(_ image: RGBAImage, to path: String, _ file: AdoptedFile) throws {
        do {
            if path == "-" {
                fflush(nil)
                try PNGEncoder().write(image, to: STDOUT_FILENO)
            } else {
                try PNGEncoder().write(image, toFile: path)
            }
        } catch {
            throw file.error(error.errno ?? .ioError, "--image \(path): \(error)")
        }
    }

    /// `--view`: a line naming the frame, and the picture in the mode
    /// `--view-mode` gives, fitted to the terminal (TIOCGWINSZ, else 80x24)
    /// less the header's lines and one for the prompt after.
    func view() throws {
        let image = try spec.read(access, file)
        let mode = request.viewMode.resolve()
        let text = try picture(image, header: header, mode: mode)
        print(header)
        print(text, terminator: "")
        fflush(nil)
    }

    /// "pid P fd N: memfd, XR24 64x48 stride 256 offset 0".
    var header: String {
        "\(file.source): \(adoption.type), \(spec.summary)" + (spec.source.map { " (\($0))" } ?? "")
    }

    /// The picture fitted to the terminal below `header` (the lines it
    /// wraps to counted), leaving the last line free; for sixel and kitty
    /// at the terminal's cell size in pixels (TIOCGWINSZ, else 8x16).
    func picture(_ image: RGBAImage, header: String, mode: TerminalGraphics.Mode,
                 imageID: UInt32? = nil) throws -> String {
        let terminal = TerminalPicture.terminalSize() ?? (80, 24)
        let headerLines = max(1, (header.count + terminal.columns - 1) / terminal.columns)
        do {
            return try TerminalPicture.picture(image, mode: mode, columns: terminal.columns,
                                               rows: max(1, terminal.rows - headerLines - 1),
                                               cell: TerminalPicture.cellSize() ?? TerminalPicture.defaultCellSize,
                                               imageID: imageID)
        } catch {
            throw file.error(error.errno, error.description)
        }
    }

    /// `--follow` with `--image` (numbered files) or `--view` (redrawn in
    /// place: the cursor home, the header, the picture, the rest of the
    /// screen cleared; with kitty's protocol the picture before deleted, one
    /// image id, this process's pid, for all rounds): every `seconds`,
    /// `count` times or until interrupted. A round that fails says why on
    /// stderr and the next one tries again.
    func follow(every seconds: Double, count: Int?, owner: TargetProcess?) {
        let mode = request.image == nil ? request.viewMode.resolve() : .blocks
        let imageID = UInt32(truncatingIfNeeded: getpid())
        var drawn = false
        if request.image == nil { print("\u{1B}[H\u{1B}[2J", terminator: "") }
        FollowRounds(owner: owner).run(every: seconds, count: count) { round in
            do {
                let image = try spec.read(access, file)
                if let path = request.image {
                    let name = Self.numbered(path, round.tick)
                    try Self.write(image, to: name, file)
                    round.sayIfGone()
                    print("[\(round.tick)] \(round.state) wrote \(name)")
                } else {
                    let state = owner == nil ? "" : round.alive ? " [owner alive]" : " [owner gone]"
                    let line = "\(header) [\(round.tick)]\(state)"
                    let text = try picture(image, header: line, mode: mode, imageID: mode == .kitty ? imageID : nil)
                    let delete = mode == .kitty && drawn ? TerminalGraphics.kittyDelete(imageID: imageID) : ""
                    print("\u{1B}[H\(line)\u{1B}[K\n\(delete)\(text)\u{1B}[J", terminator: "")
                    drawn = true
                }
                return true
            } catch {
                printError("adopt: \(error)")
                return false
            }
        }
    }

    /// FILE.png → FILE-0001.png (the number before the last extension;
    /// appended when there is none).
    static func numbered(_ path: String, _ n: Int) -> String {
        let digits = String(n)
        let number = "-" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
        let nameStart = path.lastIndex(of: "/").map { path.index(after: $0) } ?? path.startIndex
        if let dot = path[nameStart...].lastIndex(of: "."), dot > nameStart {
            return String(path[..<dot]) + number + String(path[dot...])
        }
        return path + number
    }
}
