// SPDX-License-Identifier: Apache-2.0
// frame-grab: adopts another process's buffer and writes the frame in it as
// a PNG, with the RemoteFDImage API (what `adopt PID FD --format F --size WxH
// --image OUT` does, without the CLI).
//
//   frame-grab PID FD FORMAT WxH OUT.png [STRIDE [OFFSET]]
//
// FORMAT: a DRM fourcc or alias (XR24, xrgb8888, NV12, yuy2, …).
import Glibc
import DmabufPlugin
import MemfdPlugin
import RemoteFD
import RemoteFDImage
import ShmPlugin

/// One line on stderr (Swift 6 refuses the C `stderr` global: shared mutable state).
func printError(_ message: String) {
    var line = message + "\n"
    line.withUTF8 { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
}

let args = CommandLine.arguments
guard (6...8).contains(args.count), let pid = pid_t(args[1]), let fd = Int32(args[2]),
      let geometry = FrameGeometry(size: args[4], stride: args.count > 6 ? Int(args[6]) : nil,
                                   offset: args.count > 7 ? Int(args[7]) ?? -1 : 0) else {
    printError("usage: frame-grab PID FD FORMAT WxH OUT.png [STRIDE [OFFSET]]")
    exit(2)
}

do {
    let format = try PixelFormat(parsing: args[3])
    let adopter = Adopter(handlers: HandlerRegistry([MemfdHandler(), ShmHandler(), DmabufHandler()]))
    let adoption = try adopter.adopt(pid: pid, fd: fd)
    // Bounded reads: a buffer its owner shrinks meanwhile is an error, not a SIGBUS.
    let image = try Frame.read(from: try adoption.open(), format: format, geometry: geometry)
    try PNGEncoder().write(image, toFile: args[5])
    print("\(adoption.type) \(adoption.file.source): \(geometry) \(format) → \(args[5]) (\(image.hasAlpha ? "RGBA" : "RGB"))")
} catch {
    printError("frame-grab: \(error)")
    exit(1)
}
