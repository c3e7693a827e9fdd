// SPDX-License-Identifier: Apache-2.0
internal import CShims
import Glibc

/// The ways a terminal can be asked to show a picture, and how to tell
/// which one it understands: kitty's graphics protocol (a PNG, base64 in
/// APC chunks), DEC sixel (libsixel), or 24-bit colour half blocks, which
/// every terminal with true colour shows.
public enum TerminalGraphics {
    public enum Mode: String, Sendable, CaseIterable, CustomStringConvertible {
        /// kitty's graphics protocol (kitty, WezTerm, Konsole, ghostty…).
        case kitty
        /// DEC sixel (xterm -ti vt340, foot, mlterm, WezTerm, mintty…).
        case sixel
        /// `TerminalPicture.halfBlocks`: any terminal.
        case blocks

        public var description: String { rawValue }
    }

    // MARK: detection

    /// kitty's query: a 1x1 RGB image (`AAAA`: three zero bytes) with
    /// `a=q`, which a terminal that has the protocol answers with
    /// `ESC _ G i=31;OK ESC \` and does not keep.
    public static let kittyQuery = "\u{1B}_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\u{1B}\\"
    /// Primary device attributes (DA1): every terminal answers
    /// `ESC [ ? Ps ; … c`; attribute 4 is sixel graphics. Sent after
    /// kitty's query, its answer also says that the one before has come.
    public static let deviceAttributesQuery = "\u{1B}[c"

    /// What a terminal answered to `kittyQuery` and `deviceAttributesQuery`.
    public struct Replies: Sendable, Equatable {
        /// `ESC _ G i=31;OK ESC \` came: kitty's protocol is there.
        public var kitty: Bool
        /// The parameters of the DA1 answer `ESC [ ? 62;4;22 c`, nil if none came.
        public var attributes: [Int]?

        public init(kitty: Bool = false, attributes: [Int]? = nil) {
            self.kitty = kitty
            self.attributes = attributes
        }

        /// The replies in `bytes` (anything else, such as keys typed
        /// meanwhile or other terminals' answers, skipped).
        public init(parsing bytes: [UInt8]) {
            self.init()
            let esc: UInt8 = 0x1B
            var i = 0
            while i < bytes.count {
                guard bytes[i] == esc, i + 1 < bytes.count else {
                    i += 1
                    continue
                }
                switch bytes[i + 1] {
                case UInt8(ascii: "_"):
                    // APC … ST: kitty's answers are `G` KEYS `;` MESSAGE.
                    var j = i + 2
                    while j + 1 < bytes.count, !(bytes[j] == esc && bytes[j + 1] == UInt8(ascii: "\\")) { j += 1 }
                    guard j + 1 < bytes.count else { return }  // not complete yet
                    let body = bytes[(i + 2)..<j]
                    if body.first == UInt8(ascii: "G"), let semicolon = body.firstIndex(of: UInt8(ascii: ";")) {
                        let keys = String(decoding: body[(body.startIndex + 1)..<semicolon], as: UTF8.self)
                        let message = String(decoding: body[(semicolon + 1)...], as: UTF8.self)
                        if keys.split(separator: ",").contains("i=31") && message == "OK" { kitty = true }
                    }
                    i = j + 2
                case UInt8(ascii: "["):
                    // CSI: parameters, intermediates, a final byte 0x40-0x7E.
                    var j = i + 2
                    while j < bytes.count, !(0x40...0x7E).contains(bytes[j]) { j += 1 }
                    guard j < bytes.count else { return }
                    let body = bytes[(i + 2)..<j]
                    if bytes[j] == UInt8(ascii: "c"), body.first == UInt8(ascii: "?") {
                        let text = String(decoding: body.dropFirst(), as: UTF8.self)
                        if text.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ";") }) {
                            attributes = text.split(separator: ";", omittingEmptySubsequences: false).map { Int($0) ?? 0 }
                        }
                    }
                    i = j + 1
                default:
                    i += 1
                }
            }
        }

        /// DA1's answer came: nothing else is to be waited for (a terminal
        /// answers in order, kitty's query first).
        public var isComplete: Bool { attributes != nil }

        /// kitty's protocol if the terminal said OK, sixel if its
        /// attributes have 4, else half blocks.
        public var mode: Mode {
            if kitty { return .kitty }
            if attributes?.contains(4) == true { return .sixel }
            return .blocks
        }
    }

    /// The terminal's answers to `kittyQuery` and `deviceAttributesQuery`,
    /// asked on `path` (the controlling terminal) out of canonical mode and
    /// without echo, its settings restored afterwards (also on SIGINT,
    /// SIGTERM, SIGHUP or SIGQUIT meanwhile). Waits until DA1's answer comes
    /// or `timeoutMilliseconds` pass. Nil when there is no terminal to ask,
    /// or this process is not in its foreground (asking would stop it with
    /// SIGTTOU or SIGTTIN).
    public static func query(timeoutMilliseconds: Int = 200, path: String = "/dev/tty") -> Replies? {
        let fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        guard isatty(fd) == 1, tcgetpgrp(fd) == getpgrp() else { return nil }
        guard rfd_tty_raw(fd) == 0 else { return nil }
        defer { _ = rfd_tty_restore() }
        let question = Array((kittyQuery + deviceAttributesQuery).utf8)
        guard PNGEncoder.writeAll(question, to: fd) == nil else { return nil }
        let deadline = monotonicMilliseconds() + timeoutMilliseconds
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 512)
        while true {
            let left = deadline - monotonicMilliseconds()
            if left <= 0 { break }
            var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let n = poll(&ready, 1, Int32(left))
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            let got = read(fd, &buffer, buffer.count)
            if got < 0 && (errno == EINTR || errno == EAGAIN) { continue }
            if got <= 0 { break }
            bytes += buffer[0..<got]
            if Replies(parsing: bytes).isComplete { break }
        }
        return Replies(parsing: bytes)
    }

    /// The mode the controlling terminal says it has (`query`); half
    /// blocks when it cannot be asked or does not answer in time.
    public static func detect(timeoutMilliseconds: Int = 200) -> Mode {
        query(timeoutMilliseconds: timeoutMilliseconds)?.mode ?? .blocks
    }

    static func monotonicMilliseconds() -> Int {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return now.tv_sec * 1000 + now.tv_nsec / 1_000_000
    }

    // MARK: kitty's graphics protocol

    /// The most base64 bytes in one APC chunk: kitty's limit.
    public static let kittyChunkSize = 4096

    /// A PNG shown at the cursor with kitty's graphics protocol: its bytes
    /// in base64, in chunks of at most `kittyChunkSize`; the first
    /// `ESC _ G a=T,f=100,m=1,c=COLUMNS,r=ROWS,q=2[,i=ID] ; DATA ESC \` (the
    /// picture scaled to `columns` x `rows` cells where given, answers
    /// suppressed: q=2), the others `ESC _ G m=1;DATA ESC \`, the last with
    /// m=0. The cursor ends after the picture's last cell.
    public static func kitty(png: [UInt8], columns: Int? = nil, rows: Int? = nil, imageID: UInt32? = nil) -> String {
        let data = Base64.encode(png)
        var out: [UInt8] = []
        out.reserveCapacity(data.count + (data.count / kittyChunkSize + 1) * 16 + 64)
        var offset = 0
        repeat {
            let end = min(offset + kittyChunkSize, data.count)
            let more = end < data.count ? "1" : "0"
            var keys = "m=\(more)"
            if offset == 0 {
                keys = "a=T,f=100,m=\(more)"
                if let columns { keys += ",c=\(columns)" }
                if let rows { keys += ",r=\(rows)" }
                keys += ",q=2"
                if let imageID { keys += ",i=\(imageID)" }
            }
            out += [0x1B, UInt8(ascii: "_"), UInt8(ascii: "G")]
            out += Array(keys.utf8)
            out.append(UInt8(ascii: ";"))
            out += data[offset..<end]
            out += [0x1B, UInt8(ascii: "\\")]
            offset = end
        } while offset < data.count
        return String(decoding: out, as: UTF8.self)
    }

    /// Deletes image `imageID` and frees its data (`a=d,d=I`): the picture
    /// drawn before, when the next one replaces it.
    public static func kittyDelete(imageID: UInt32) -> String {
        "\u{1B}_Ga=d,d=I,i=\(imageID),q=2\u{1B}\\"
    }
}
