// SPDX-License-Identifier: Apache-2.0
// consumer: adopts another process's buffer with the library API and prints
// its first line every second (the original "testgetremotefd").
//
//   consumer PID FD
import RemoteFD
import Glibc
import MemfdPlugin
import ShmPlugin

/// One line on stderr (Swift 6 refuses the C `stderr` global: shared mutable state).
func printError(_ message: String) {
    var line = message + "\n"
    line.withUTF8 { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
}

let args = CommandLine.arguments
guard args.count == 3, let pid = pid_t(args[1]), let fd = Int32(args[2]) else {
    printError("usage: consumer PID FD")
    exit(2)
}

do {
    let adopter = Adopter(handlers: HandlerRegistry([MemfdHandler(), ShmHandler()]))
    let adoption = try adopter.adopt(pid: pid, fd: fd)
    let buffer = try adoption.open()
    print("adopted \(adoption.type) via \(adoption.file.backendName), \(buffer.size) bytes")
    for _ in 0..<5 {
        let bytes = try buffer.bytes(at: 0, length: 64)
        print(String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self))
        sleep(1)
    }
} catch {
    printError("consumer: \(error)")
    exit(1)
}
