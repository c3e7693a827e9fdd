// SPDX-License-Identifier: Apache-2.0
import Foundation
import RemoteFDImage
import Testing
import TestSupport

/// `--format`, `--image`, `--view` end to end: python3 producers holding
/// frames in memfds, ffmpeg as the reference (and as the PNG decoder),
/// tmux as the terminal, Xvfb's framebuffer.
@Suite("Frames: adopt --format … --image / --view")
struct FrameTests {
    static let ffmpeg = "/usr/bin/ffmpeg"
    static let tmux = "/usr/bin/tmux"
    static var hasFFmpeg: Bool { FileManager.default.isExecutableFile(atPath: ffmpeg) }
    static var hasTmux: Bool { FileManager.default.isExecutableFile(atPath: tmux) }

    /// A memfd holding a 64x48 gradient frame of format argv[1] (XR24, YUYV,
    /// NV12, or QUAD: an 8x8 XR24 frame of four colours), also written to
    /// the file argv[2] (ffmpeg's input). "pid P fd F size S"; on a line
    /// "shrink", truncates to 4096 bytes and says "shrunk"; on "flap",
    /// shrinks and regrows the memfd in a loop until stdin closes.
    static let pythonFrame = """
        import os, sys, threading
        fmt, raw = sys.argv[1], sys.argv[2]
        w, h = 64, 48
        d = bytearray()
        if fmt == "XR24":
            for y in range(h):
                for x in range(w):
                    d += bytes((x * 4, y * 5, 255 - x * 2, 0x5a))  # B, G, R, X
        elif fmt == "YUYV":
            for y in range(h):
                for x in range(0, w, 2):
                    cx, cy = x // 2, y // 2
                    d += bytes((16 + x * 3, 112 + cx, 16 + (x + 1) * 3, 140 - cy))
        elif fmt == "NV12":
            for y in range(h):
                d += bytes(16 + x * 3 for x in range(w))
            for cy in range(h // 2):
                for cx in range(w // 2):
                    d += bytes((112 + cx, 140 - cy))
        elif fmt == "QUAD":
            for y in range(8):
                for x in range(8):
                    r, g, b = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)][(y >= 4) * 2 + (x >= 4)]
                    d += bytes((b, g, r, 0))
        elif fmt == "BIG":
            d = bytearray(b"\\x80" * (1024 * 1024 * 4))
        open(raw, "wb").write(d)
        fd = os.memfd_create("frame-" + fmt)
        os.write(fd, bytes(d))
        print("pid", os.getpid(), "fd", fd, "size", len(d), flush=True)
        def flap():
            while True:
                os.ftruncate(fd, 4096)
                os.ftruncate(fd, len(d))
        for line in sys.stdin:
            if line.strip() == "shrink":
                os.ftruncate(fd, 4096)
                print("shrunk", flush=True)
            elif line.strip() == "flap":
                threading.Thread(target=flap, daemon=True).start()
                print("flapping", flush=True)
        """

    /// A producer of `format`'s frame; its raw bytes in `dir`/raw.FORMAT.
    static func producer(_ format: String, _ dir: TempDir) throws -> Producer {
        try Producer(python: pythonFrame, arguments: [format, dir.file("raw.\(format)")])
    }

    /// A PNG decoded by ffmpeg to R, G, B, A bytes.
    static func decode(_ png: String) throws -> [UInt8] {
        let run = try Run.program(ffmpeg, ["-v", "error", "-i", png, "-f", "rawvideo", "-pix_fmt", "rgba", "-"])
        try #require(run.status == 0, "ffmpeg cannot decode \(png): \(run.stderr)")
        return run.output
    }

    /// ffmpeg's PNG of a raw frame (`extra`: output options, such as a scale filter).
    static func reference(_ raw: String, pixFmt: String, size: String, to png: String, _ extra: [String] = []) throws {
        let run = try Run.program(ffmpeg, ["-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", pixFmt, "-s", size,
                                           "-i", raw] + extra + ["-frames", "1", png])
        try #require(run.status == 0, "ffmpeg: \(run.stderr)")
    }

    /// The largest difference between two RGBA byte strings, alpha not counted.
    static func maxDifference(_ a: [UInt8], _ b: [UInt8]) -> Int {
        var worst = 0
        for i in a.indices where i % 4 != 3 { worst = max(worst, abs(Int(a[i]) - Int(b[i]))) }
        return worst
    }

    @Test("--image: the PNG has ffmpeg's pixels (XR24 exactly; YUYV, NV12 within ±2 of ffmpeg's accurate BT.601)",
          .enabled(if: hasFFmpeg, "needs ffmpeg: NOT RUN"),
          arguments: [("XR24", "bgr0"), ("YUYV", "yuyv422"), ("NV12", "nv12")])
    func matchesFFmpeg(format: String, pixFmt: String) throws {
        let dir = try TempDir("frame")
        let producer = try Self.producer(format, dir)
        let out = dir.file("out.png")
        let run = try Run.adopt([String(producer.pid), String(producer.fd()), "--format", format, "--size", "64x48", "--image", out])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr == "adopt: pid \(producer.pid) fd \(producer.fd()): 64x48 \(format) frame written to \(out) (PNG, RGB)\n")
        let ours = try Self.decode(out)
        try #require(ours.count == 64 * 48 * 4)
        // ffmpeg's default conversion (its table-driven fast path) rounds
        // low: 1 to 3 below the exact BT.601 values; accurate rounding with
        // full chroma interpolation is within ±1 of them, as libyuv is.
        try Self.reference(dir.file("raw.\(format)"), pixFmt: pixFmt, size: "64x48", to: dir.file("plain.png"))
        let plain = try Self.decode(dir.file("plain.png"))
        if format == "XR24" {
            #expect(ours == plain, "XR24 is copied exactly (X dropped)")
        } else {
            try Self.reference(dir.file("raw.\(format)"), pixFmt: pixFmt, size: "64x48", to: dir.file("accurate.png"),
                               ["-vf", "scale=flags=accurate_rnd+full_chroma_int"])
            let accurate = try Self.decode(dir.file("accurate.png"))
            #expect(Self.maxDifference(ours, accurate) <= 2, "against ffmpeg's accurate BT.601")
            #expect(Self.maxDifference(ours, plain) <= 3, "against ffmpeg's default conversion")
        }
    }

    @Test("bad input: one line naming pid and fd, exit 1, no file written",
          arguments: [
            (["--format", "XR24", "--size", "1920x1080"], "--size 1920x1080 XR24 needs 8294400 bytes at offset 0, the buffer has 12288 (EINVAL)"),
            (["--format", "XR24", "--size", "64x48", "--offset", "1"], "--size 64x48 XR24 needs 12288 bytes at offset 1, the buffer has 12288 (EINVAL)"),
            (["--format", "FOO", "--size", "64x48"], "--format: unknown pixel format 'FOO' (known: XR24 AR24 XB24 AB24 RG24 BG24 RG16 R8 YUYV UYVY NV12 YU12; or xrgb8888 argb8888 xbgr8888 abgr8888 rgb888 bgr888 rgb565 grey gray yuy2 i420 yuv420) (EINVAL)"),
            (["--format", "YUYV", "--size", "63x48"], "--size 63x48 YUYV: the width must be even (two pixels share one U and one V) (EINVAL)"),
            (["--format", "XR24", "--size", "64x48", "--stride", "200"], "--stride 200 is below 64x48 XR24's 256 bytes per row (EINVAL)"),
            (["--format", "auto"], "--format auto: this is a memfd: only a dma-buf a V4L2 driver exported has a format to ask for (give --format and --size) (EINVAL)"),
          ])
    func badInput(options: [String], message: String) throws {
        let dir = try TempDir("frame-bad")
        let producer = try Self.producer("XR24", dir)
        let out = dir.file("out.png")
        let run = try Run.adopt([String(producer.pid), String(producer.fd())] + options + ["--image", out])
        #expect(run.status == 1)
        #expect(run.stdout.isEmpty)
        #expect(run.stderr == "adopt: pid \(producer.pid) fd \(producer.fd()): \(message)\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["raw.XR24"], "nothing written")
    }

    @Test("a buffer the owner shrank: refused before reading, one line; shrinking during reads: never SIGBUS")
    func shrinking() throws {
        let dir = try TempDir("frame-shrink")
        let producer = try Self.producer("BIG", dir)
        let pid = String(producer.pid), fd = String(producer.fd())
        let options = ["--format", "XR24", "--size", "1024x1024"]
        // Whole before: written.
        let first = try Run.adopt([pid, fd] + options + ["--image", dir.file("a.png")])
        #expect(first.status == 0, "\(first.stderr)")
        producer.send("shrink")
        _ = try producer.waitFor("shrunk")
        let after = try Run.adopt([pid, fd] + options + ["--image", dir.file("b.png")])
        #expect(after.status == 1)
        #expect(after.stderr == "adopt: pid \(pid) fd \(fd): --size 1024x1024 XR24 needs 4194304 bytes at offset 0, the buffer has 4096 (EINVAL)\n")
        #expect(!FileManager.default.fileExists(atPath: dir.file("b.png")))
        // Shrunk and regrown in a loop while adopt reads it.
        producer.send("flap")
        _ = try producer.waitFor("flapping")
        var outcomes: [Int32: Int] = [:]
        for i in 0..<20 {
            let child = try Spawned.adopt([pid, fd] + options + ["--image", dir.file("c\(i).png")])
            let (_, err) = try child.collectOutput(timeout: 60)
            let status = child.waitForExit()
            let stderr = String(decoding: err, as: UTF8.self)
            #expect(child.exited == true, "adopt was killed by signal \(status) (SIGBUS is 7): \(stderr)")
            outcomes[status, default: 0] += 1
            if status == 0 {
                #expect(FileManager.default.fileExists(atPath: dir.file("c\(i).png")))
            } else {
                #expect(status == 1)
                #expect(stderr.split(separator: "\n").count == 1, "\(stderr)")
                #expect(stderr.contains("the buffer shrank while it was read") || stderr.contains("the buffer has 4096"), "\(stderr)")
                #expect(!FileManager.default.fileExists(atPath: dir.file("c\(i).png")))
            }
        }
        #expect(outcomes.keys.allSatisfy { $0 == 0 || $0 == 1 }, "\(outcomes)")
    }

    @Test("--follow --image writes numbered frames", .enabled(if: hasFFmpeg, "needs ffmpeg: NOT RUN"))
    func followNumbered() throws {
        let dir = try TempDir("frame-follow")
        let producer = try Self.producer("XR24", dir)
        let run = try Run.adopt([String(producer.pid), String(producer.fd()), "--format", "xrgb8888", "--size", "64x48",
                                 "--follow", "--interval", "0.05", "--count", "3", "--image", dir.file("f.png")])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.split(separator: "\n").map(String.init)
            == (1...3).map { "[\($0)] owner alive wrote \(dir.file("f-000\($0).png"))" })
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        #expect(files == ["f-0001.png", "f-0002.png", "f-0003.png", "raw.XR24"])
        let first = try Self.decode(dir.file("f-0001.png"))
        #expect(first == (try Self.decode(dir.file("f-0003.png"))))
        #expect(first.count == 64 * 48 * 4)
    }

    @Test("--image -: the PNG on standard output; the preview names the frame")
    func stdoutAndPreview() throws {
        let dir = try TempDir("frame-stdout")
        let producer = try Self.producer("QUAD", dir)
        let png = try Run.adopt([String(producer.pid), String(producer.fd()), "--format", "XR24", "--size", "8x8", "--image", "-"])
        #expect(png.status == 0, "\(png.stderr)")
        #expect(Array(png.output.prefix(8)) == [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
        #expect(Array(png.output[16..<24]) == [0, 0, 0, 8, 0, 0, 0, 8])
        // Not a terminal: the description and a hex preview, with the frame.
        let show = try Run.adopt([String(producer.pid), String(producer.fd()), "--format", "XR24", "--size", "8x8"])
        #expect(show.status == 0, "\(show.stderr)")
        #expect(show.stdout.contains("frame:             XR24 8x8 stride 32 offset 0\n"), "\(show.stdout)")
        #expect(show.stdout.contains("00000000  00 00 ff 00"), "\(show.stdout)")
    }

    /// Each cell of a tmux pane that holds an upper half block: its
    /// foreground and background colours, from the SGR sequences
    /// `capture-pane -e` gives.
    struct Cell: Equatable {
        var row: Int, column: Int
        var fg: [Int]?, bg: [Int]?
    }

    static func halfBlockCells(_ text: String) -> [Cell] {
        var cells: [Cell] = []
        for (row, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var fg: [Int]?, bg: [Int]?
            var column = 0
            var scalars = Array(line.unicodeScalars)[...]
            while let c = scalars.popFirst() {
                if c == "\u{1B}", scalars.first == "[" {
                    scalars.removeFirst()
                    var params = ""
                    while let p = scalars.popFirst(), p != "m" { params.unicodeScalars.append(p) }
                    var numbers = params.split(separator: ";", omittingEmptySubsequences: false).map { Int($0) ?? 0 }[...]
                    if numbers.isEmpty { numbers = [0] }
                    while let n = numbers.popFirst() {
                        switch n {
                        case 0: fg = nil; bg = nil
                        case 39: fg = nil
                        case 49: bg = nil
                        case 38, 48:
                            guard numbers.popFirst() == 2 else { continue }
                            let rgb = Array(numbers.prefix(3))
                            numbers = numbers.dropFirst(3)
                            if n == 38 { fg = rgb } else { bg = rgb }
                        default: break
                        }
                    }
                    continue
                }
                if c == "\u{2580}" { cells.append(Cell(row: row, column: column, fg: fg, bg: bg)) }
                column += 1
            }
        }
        return cells
    }

    @Test("--view in a 40x20 tmux pane: the four colours in their quadrants",
          .enabled(if: hasTmux, "needs tmux: NOT RUN"))
    func viewInTmux() throws {
        let dir = try TempDir("frame-view")
        let producer = try Self.producer("QUAD", dir)
        let server = "rfd-test-\(getpid())"
        let tmux = { (args: [String]) throws -> Run in try Run.program(Self.tmux, ["-L", server, "-f", "/dev/null"] + args) }
        defer {
            // The panes' shells first (a pane that ignores SIGHUP, as one
            // started from a runner that ignores it does, would keep the
            // server up until its `sleep` ends), then the server.
            let panes = (try? tmux(["list-panes", "-a", "-F", "#{pane_pid}"]))?.stdout ?? ""
            for pid in panes.split(separator: "\n").compactMap({ Int32($0) }) { kill(pid, SIGKILL) }
            _ = try? tmux(["kill-server"])
        }
        // Half blocks asked for: a tmux with sixel (3.4+, built so) would answer DA1 with 4.
        let command = "\(Products.path("adopt")) \(producer.pid) \(producer.fd()) --format XR24 --size 8x8 --view --view-mode blocks; sleep 60"
        let started = try tmux(["new-session", "-d", "-s", "view", "-x", "40", "-y", "20", command])
        try #require(started.status == 0, "tmux: \(started.stderr)")
        var cells: [Cell] = []
        var screen = ""
        let drawn = try eventually(timeout: 20) {
            let capture = try tmux(["capture-pane", "-e", "-p", "-t", "view"])
            screen = capture.stdout
            cells = Self.halfBlockCells(screen)
            return cells.count >= 4 && screen.contains("offset")
        }
        try #require(drawn, "no picture in the pane: \(screen)")
        // The header wraps at 40 columns: two lines, then the picture. A
        // wrap that falls on a space loses it (capture-pane trims), so the
        // words are compared.
        let header = "pid \(producer.pid) fd \(producer.fd()): memfd, XR24 8x8 stride 32 offset 0"
        let shown = screen.split(separator: "\n").prefix(2).joined()
        #expect(shown.filter { !$0.isWhitespace } == header.filter { !$0.isWhitespace }, "\(screen)")
        let rows = Set(cells.map(\.row)).sorted(), columns = Set(cells.map(\.column)).sorted()
        // 8x8 pixels fitted to 40 columns x 17 rows (20 less 2 header lines
        // and the last): 34 x 17 cells, from the third line.
        #expect(columns.count == 34 && rows.count == 17 && rows.first == 2, "\(columns.count) x \(rows.count) from \(rows.first ?? -1)")
        // 34 pixel rows and columns: the quadrants meet between pixels 16
        // and 17 both ways; cell row 8 holds one of each. Every cell clear
        // of that line has one quadrant's colour, top and bottom.
        let red = [255, 0, 0], green = [0, 255, 0], blue = [0, 0, 255], white = [255, 255, 255]
        var seen: [[Int]: Int] = [:]
        for cell in cells {
            let pixelRow = (cell.row - rows[0]) * 2, column = cell.column - columns[0]
            guard abs(pixelRow - 16) > 1, abs(column - 16) > 1 else { continue }
            let want = pixelRow < 16 ? (column < 16 ? red : green) : (column < 16 ? blue : white)
            #expect(cell.fg == want && cell.bg == want, "row \(cell.row) column \(cell.column): \(cell)")
            seen[want, default: 0] += 1
        }
        #expect(seen.count == 4 && seen.values.allSatisfy { $0 >= 7 * 14 }, "\(seen)")

        // --follow --view: redrawn in place, one header on the screen, the last round's.
        let follow = "\(Products.path("adopt")) \(producer.pid) \(producer.fd()) --format XR24 --size 8x8 --view --view-mode blocks --follow --interval 0.05 --count 3; sleep 60"
        let again = try tmux(["new-session", "-d", "-s", "follow", "-x", "60", "-y", "20", follow])
        try #require(again.status == 0, "tmux: \(again.stderr)")
        let redrawn = try eventually(timeout: 20) {
            screen = try tmux(["capture-pane", "-p", "-t", "follow"]).stdout
            return screen.contains("[3]")
        }
        try #require(redrawn, "no third round in the pane: \(screen)")
        #expect(screen.components(separatedBy: "pid \(producer.pid) fd \(producer.fd()):").count == 2, "one header: \(screen)")
        #expect(!screen.contains("[1]") && !screen.contains("[2]"), "\(screen)")
        let followCells = Self.halfBlockCells(try tmux(["capture-pane", "-e", "-p", "-t", "follow"]).stdout)
        #expect(followCells.first?.fg == red && followCells.last?.bg == white, "\(followCells.first.map { "\($0)" } ?? "no cells")")

        // --view-mode auto (the default) in tmux: it answers DA1 itself and
        // drops kitty's query; nothing of the exchange shows in the pane,
        // and the picture is drawn (half blocks unless that tmux has sixel).
        let auto = "\(Products.path("adopt")) \(producer.pid) \(producer.fd()) --format XR24 --size 8x8 --view; printf status=%s $?; sleep 60"
        let asked = try tmux(["new-session", "-d", "-s", "auto", "-x", "60", "-y", "20", auto])
        try #require(asked.status == 0, "tmux: \(asked.stderr)")
        let answered = try eventually(timeout: 20) {
            screen = try tmux(["capture-pane", "-p", "-t", "auto"]).stdout
            return screen.contains("status=")
        }
        try #require(answered, "adopt did not finish in the pane: \(screen)")
        #expect(screen.contains("status=0") && screen.contains("pid \(producer.pid) fd \(producer.fd()): memfd"), "\(screen)")
        for leak in ["Gi=31", "OK", "[?", "62;", ";2c", "AAAA"] { #expect(!screen.contains(leak), "\(leak) in \(screen)") }
    }

    /// A terminal for one command: a pty of 80x24 cells and 800x480 pixels
    /// (cells of 10x20) whose slave is the command's controlling terminal,
    /// standard input and output (its stderr is this script's). argv[1]
    /// says how it answers kitty's query and DA1: kitty (OK, then DA1
    /// without 4), sixel (DA1 with 4), none (nothing), term (nothing, and
    /// SIGTERM to the command once it has asked). What the command wrote
    /// to the terminal is the script's stdout; its stderr says "pid P",
    /// then "exit N" (-SIG if killed) and the pty's settings after:
    /// "termios: canonical echo" once they are restored.
    static let pythonTerminal = #"""
        import fcntl, os, select, signal, struct, sys, termios, time
        answer, command = sys.argv[1], sys.argv[2:]
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 800, 480))
        pid = os.fork()
        if pid == 0:
            os.close(master)
            # Not ignored or blocked, as a test runner may have them.
            sigs = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)
            for sig in sigs:
                signal.signal(sig, signal.SIG_DFL)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, sigs)
            os.setsid()
            fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
            os.dup2(slave, 0)
            os.dup2(slave, 1)
            os.close(slave)
            os.execv(command[0], command)
        print("pid", pid, file=sys.stderr, flush=True)
        out, asked, status = bytearray(), set(), None
        deadline = time.time() + 60
        while time.time() < deadline:
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                out += os.read(master, 65536)
            elif status is not None:
                break
            if status is None:
                done, st = os.waitpid(pid, os.WNOHANG)
                if done:
                    status = st
            if b"\x1b_Gi=31," in out and "kitty" not in asked:
                asked.add("kitty")
                if answer == "kitty":
                    os.write(master, b"\x1b_Gi=31;OK\x1b\\")
            if b"\x1b[c" in out and "da1" not in asked:
                asked.add("da1")
                if answer == "kitty":
                    os.write(master, b"\x1b[?62;22c")
                elif answer == "sixel":
                    os.write(master, b"\x1b[?62;4;22c")
                elif answer == "term":
                    os.kill(pid, signal.SIGTERM)
        if status is None:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            print("timeout", file=sys.stderr)
        else:
            print("exit", os.waitstatus_to_exitcode(status), file=sys.stderr)
        lflag = termios.tcgetattr(slave)[3]
        print("termios:", "canonical" if lflag & termios.ICANON else "raw",
              "echo" if lflag & termios.ECHO else "noecho", file=sys.stderr)
        sys.stdout.buffer.write(out)
        """#

    /// What `adopt ARGUMENTS` wrote to `pythonTerminal` answering `answer`,
    /// its pid, and the script's lines about it.
    static func inTerminal(_ answer: String, _ arguments: [String]) throws -> (output: String, pid: String, report: [String]) {
        let run = try Run.program("python3", ["-c", pythonTerminal, answer, Products.path("adopt")] + arguments)
        let report = run.stderr.split(separator: "\n").map(String.init)
        let pid = report.first { $0.hasPrefix("pid ") }.map { String($0.dropFirst(4)) } ?? "?"
        return (run.stdout, pid, report)
    }

    static let kittyImage = "\u{1B}_Ga=T,f=100,"
    static let sixelStart = "\u{1B}P"

    @Test("--view asks the terminal (a pty): kitty's OK draws with kitty's protocol, DA1 with 4 with sixel, no answer with half blocks; the pty's settings restored",
          arguments: ["kitty", "sixel", "none"])
    func viewDetects(answer: String) throws {
        let dir = try TempDir("frame-pty")
        let producer = try Self.producer("QUAD", dir)
        let (output, _, report) = try Self.inTerminal(answer, [String(producer.pid), String(producer.fd()),
                                                               "--format", "XR24", "--size", "8x8", "--view"])
        #expect(report.contains("exit 0") && report.contains("termios: canonical echo"), "\(report)")
        // The queries, kitty's first, then the header and the picture.
        let query = TerminalGraphics.kittyQuery + TerminalGraphics.deviceAttributesQuery
        #expect(output.hasPrefix(query), "\(output.prefix(80).debugDescription)")
        #expect(output.contains("pid \(producer.pid) fd \(producer.fd()): memfd, XR24 8x8 stride 32 offset 0\r\n"))
        // 80x24 cells of 10x20 pixels, less the header and the last line:
        // 80x22 cells, 800x440 pixels; the 8x8 frame fills 440x440, 44x22 cells.
        switch answer {
        case "kitty":
            #expect(!output.contains(Self.sixelStart) && !output.contains("\u{2580}"))
            let chunks = output.components(separatedBy: Self.kittyImage).dropFirst()
            try #require(chunks.count == 1, "\(output.debugDescription)")
            #expect(chunks[chunks.startIndex].hasPrefix("m=0,c=44,r=22,q=2;"))
            let payload = chunks[chunks.startIndex].split(separator: ";", maxSplits: 1)[1].prefix { $0 != "\u{1B}" }
            let png = try #require(Data(base64Encoded: String(payload)).map { [UInt8]($0) })
            #expect(Array(png[0..<4]) == [0x89, 0x50, 0x4e, 0x47] && Array(png[16..<24]) == [0, 0, 0, 8, 0, 0, 0, 8])
        case "sixel":
            #expect(!output.contains(Self.kittyImage) && !output.contains("\u{2580}"))
            let sixel = try #require(output.range(of: Self.sixelStart).map { output[$0.lowerBound...] })
            let q = try #require(sixel.firstIndex(of: "q"))
            #expect(sixel[sixel.index(after: q)...].hasPrefix("\"1;1;440;440"), "\(sixel.prefix(40).debugDescription)")
            for colour in ["2;100;0;0", "2;0;100;0", "2;0;0;100", "2;100;100;100"] {
                #expect(sixel.contains(colour), "\(colour)")
            }
            #expect(sixel.contains("\u{1B}\\\r\n"))
        default:
            #expect(!output.contains(Self.kittyImage) && !output.contains(Self.sixelStart))
            // 8x8 fitted to 80x22 cells of 1x2 pixels: 44 columns, 22 lines.
            let lines = output.components(separatedBy: "\r\n").filter { $0.contains("\u{2580}") }
            #expect(lines.count == 22, "\(lines.count) lines of half blocks")
        }
    }

    @Test("--view: a signal while the terminal is asked leaves its settings restored")
    func viewSignalRestores() throws {
        let dir = try TempDir("frame-pty-term")
        let producer = try Self.producer("QUAD", dir)
        let (_, _, report) = try Self.inTerminal("term", [String(producer.pid), String(producer.fd()),
                                                          "--format", "XR24", "--size", "8x8", "--view"])
        #expect(report.contains("exit -15") && report.contains("termios: canonical echo"), "\(report)")
    }

    @Test("--view into a pipe asks nothing and draws half blocks; --view-mode kitty or sixel draws that anyway")
    func viewPiped() throws {
        let dir = try TempDir("frame-pipe")
        let producer = try Self.producer("QUAD", dir)
        let frame = [String(producer.pid), String(producer.fd()), "--format", "XR24", "--size", "8x8", "--view"]
        let plain = try Run.adopt(frame)
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(!plain.stdout.contains("\u{1B}_G") && !plain.stdout.contains("\u{1B}[c") && plain.stdout.contains("\u{2580}"))
        // Not a terminal: 80x24 cells of 8x16 pixels assumed; 8x8 in 80x22: 352x352.
        let sixel = try Run.adopt(frame + ["--view-mode", "sixel"])
        #expect(sixel.status == 0, "\(sixel.stderr)")
        #expect(sixel.stdout.contains("\u{1B}Pq\"1;1;352;352") || sixel.stdout.contains("q\"1;1;352;352"), "\(sixel.stdout.prefix(120).debugDescription)")
        #expect(!sixel.stdout.contains("\u{1B}[c"))
        let kitty = try Run.adopt(frame + ["--view-mode", "kitty"])
        #expect(kitty.status == 0, "\(kitty.stderr)")
        #expect(kitty.stdout.contains(Self.kittyImage + "m=0,c=44,r=22,q=2;"), "\(kitty.stdout.prefix(120).debugDescription)")
        let blocks = try Run.adopt(frame + ["--view-mode", "blocks"])
        #expect(blocks.stdout == plain.stdout)
    }

    @Test("--follow --view with kitty's protocol: one image id, the picture before deleted each round; with sixel redrawn from home")
    func followGraphics() throws {
        let dir = try TempDir("frame-pty-follow")
        let producer = try Self.producer("QUAD", dir)
        let follow = [String(producer.pid), String(producer.fd()), "--format", "XR24", "--size", "8x8", "--view",
                      "--follow", "--interval", "0.05", "--count", "3"]
        let kitty = try Self.inTerminal("kitty", follow)
        #expect(kitty.report.contains("exit 0"), "\(kitty.report)")
        let id = kitty.pid
        #expect(kitty.output.components(separatedBy: Self.kittyImage + "m=0,c=44,r=22,q=2,i=\(id);").count == 4,
                "\(kitty.output.debugDescription)")
        #expect(kitty.output.components(separatedBy: "\u{1B}_Ga=d,d=I,i=\(id),q=2\u{1B}\\").count == 3)
        // Asked once, before the first round.
        #expect(kitty.output.components(separatedBy: TerminalGraphics.kittyQuery).count == 2)
        #expect(kitty.output.contains("[3]") && kitty.output.components(separatedBy: "\u{1B}[H").count == 5)
        let sixel = try Self.inTerminal("sixel", follow)
        #expect(sixel.report.contains("exit 0"), "\(sixel.report)")
        #expect(sixel.output.components(separatedBy: Self.sixelStart).count == 4)
        #expect(sixel.output.components(separatedBy: "\u{1B}[H").count == 5)
        #expect(!sixel.output.contains(Self.kittyImage))
    }

    @Test("Xvfb's framebuffer (a System V segment after its XWD header) as PNG: the colour xsetroot painted",
          .enabled(if: XvfbServer.installed
                   && FileManager.default.isExecutableFile(atPath: "/usr/bin/xsetroot") && hasFFmpeg,
                   "needs Debian's xvfb, x11-xserver-utils and ffmpeg: NOT RUN"))
    func xvfb() throws {
        let dir = try TempDir("frame-xvfb")
        let xvfb = try XvfbServer(display: 190 + getpid() % 100)
        let painted = try xvfb.paintRoot("#336699")
        try #require(painted.status == 0, "xsetroot: \(painted.stderr)")
        let server = xvfb.server, address = xvfb.address
        // The XWD file header: 25 big-endian CARD32s; header_size (0) counts
        // the window name after them, ncolors (19) XWDColors of 12 bytes
        // follow it, then the pixels; bytes_per_line is field 12.
        let header = try Run.adopt(["--via", "procfs", String(server.pid), "--map", address, "--dump", "-", "--length", "100"])
        try #require(header.status == 0 && header.output.count == 100, "\(header.stderr)")
        func field(_ i: Int) -> Int { header.output[(i * 4)..<(i * 4 + 4)].reduce(0) { $0 << 8 | Int($1) } }
        #expect(field(4) == 320 && field(5) == 200 && field(11) == 32, "320x200, 32 bits per pixel")
        let offset = field(0) + field(19) * 12
        let out = dir.file("fb.png")
        let run = try Run.adopt(["--via", "procfs", String(server.pid), "--map", address, "--format", "XR24", "--size", "320x200",
                                 "--stride", String(field(12)), "--offset", String(offset), "--image", out])
        #expect(run.status == 0, "\(run.stderr)")
        let pixels = try Self.decode(out)
        try #require(pixels.count == 320 * 200 * 4)
        var other = 0
        for i in stride(from: 0, to: pixels.count, by: 4) where pixels[i..<(i + 3)] != [0x33, 0x66, 0x99] { other += 1 }
        #expect(other == 0, "\(other) pixels are not #336699")
        // The same frame by shmid (adopt sysv), byte for byte the same PNG.
        if let shmid = xvfb.row["shmid"] as? Int {
            let bySysv = try Run.adopt(["sysv", String(shmid), "--format", "XR24", "--size", "320x200",
                                        "--stride", String(field(12)), "--offset", String(offset), "--image", dir.file("sysv.png")])
            #expect(bySysv.status == 0, "\(bySysv.stderr)")
            #expect(FileManager.default.contents(atPath: dir.file("sysv.png")) == FileManager.default.contents(atPath: out))
        }
    }

    @Test("keeper get --image and watch --image: the frame of a buffer kept after its producer is gone",
          .enabled(if: hasFFmpeg, "needs ffmpeg: NOT RUN"))
    func keeperAndWatch() throws {
        let dir = try TempDir("frame-keep")
        let producer = try Self.producer("XR24", dir)
        try Self.reference(dir.file("raw.XR24"), pixFmt: "bgr0", size: "64x48", to: dir.file("ref.png"))
        let reference = try Self.decode(dir.file("ref.png"))
        let frame = ["--format", "XR24", "--size", "64x48"]

        let socket = dir.file("k.sock")
        let keeper = try Spawned.adopt(["hold", "--socket", socket, "cam=\(producer.pid):\(producer.fd())"])
        _ = try keeper.waitFor("ready")
        let watch = try Spawned.adopt(["watch", "--via", "pidfd", String(producer.pid), "--fd", String(producer.fd())]
                                      + frame + ["--image", dir.file("watch.png")])
        try watch.waitFor("watching pid=\(producer.pid)")
        producer.killAndWait()
        #expect(watch.waitForExit() == 0, "\(watch.stderrText())")
        #expect(try Self.decode(dir.file("watch.png")) == reference)

        let get = try Run.adopt(["keeper", "get", "cam", "--socket", socket] + frame + ["--image", dir.file("kept.png")])
        #expect(get.status == 0, "\(get.stderr)")
        #expect(try Self.decode(dir.file("kept.png")) == reference)
        let tooBig = try Run.adopt(["keeper", "get", "cam", "--socket", socket, "--format", "XR24", "--size", "64x49",
                                    "--image", dir.file("no.png")])
        #expect(tooBig.status == 1)
        #expect(tooBig.stderr == "adopt: pid \(producer.pid) fd \(producer.fd()): --size 64x49 XR24 needs 12544 bytes at offset 0, the buffer has 12288 (EINVAL)\n")
        #expect(!FileManager.default.fileExists(atPath: dir.file("no.png")))
    }

    @Test("Samples/frame-grab (the library route) writes the PNG adopt --image writes; docs/frame.png is that frame",
          .enabled(if: hasFFmpeg, "needs ffmpeg: NOT RUN"))
    func frameGrabAndDocsPicture() throws {
        let dir = try TempDir("frame-grab")
        let producer = try Producer(Products.path("frame-producer"), ["--interval", "0"])
        #expect(producer.lines[0] == "pid \(producer.pid) fd \(producer.fd()) size 147456 format XR24 width 256 height 144")
        let cli = try Run.adopt([String(producer.pid), String(producer.fd()), "--format", "XR24", "--size", "256x144",
                                 "--image", dir.file("cli.png")])
        #expect(cli.status == 0, "\(cli.stderr)")
        let grab = try Run.program(Products.path("frame-grab"), [String(producer.pid), String(producer.fd()), "XR24", "256x144",
                                                                 dir.file("grab.png")])
        #expect(grab.status == 0, "\(grab.stderr)")
        #expect(grab.stdout == "memfd pid \(producer.pid) fd \(producer.fd()): 256x144 XR24 → \(dir.file("grab.png")) (RGB)\n")
        #expect(FileManager.default.contents(atPath: dir.file("grab.png")) == FileManager.default.contents(atPath: dir.file("cli.png")))
        let bad = try Run.program(Products.path("frame-grab"), [String(producer.pid), String(producer.fd()), "XR24", "256x145",
                                                                dir.file("bad.png")])
        #expect(bad.status == 1)
        #expect(bad.stderr == "frame-grab: 256x145 XR24 needs 148480 bytes at offset 0, the buffer has 147456\n")
        // README's picture: made this way (decoded: the bytes may differ
        // with another libspng or zlib).
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/frame.png").path
        let pixels = try Self.decode(dir.file("cli.png"))
        #expect(try Self.decode(docs) == pixels, "docs/frame.png is not frame-producer's frame: remake it (README)")
        // Top left white, top right black (the bars), bottom left black (the ramp).
        #expect(Array(pixels[0..<3]) == [255, 255, 255])
        #expect(Array(pixels[(255 * 4)..<(255 * 4 + 3)]) == [0, 0, 0])
        #expect(Array(pixels[(143 * 256 * 4)..<(143 * 256 * 4 + 3)]) == [0, 0, 0])
    }
}
