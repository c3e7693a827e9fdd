// SPDX-License-Identifier: Apache-2.0
import Foundation
import Glibc
import Testing

/// Xvfb with `-shmem` (its framebuffer in a System V segment), as a real
/// producer: started, then found by its `adopt list` row. The segment is
/// marked for destruction at once, so that it goes with the server
/// however the test ends. Stopped when this object goes.
final class XvfbServer {
    static var installed: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/Xvfb") }

    let display: String
    let server: Spawned
    /// The framebuffer's row of `adopt list --json`.
    let row: [String: Any]

    /// A 320x200x24 screen on display `:number`.
    init(display number: Int32) throws {
        display = ":\(number)"
        // -noreset: else the server resets when its last client (xsetroot)
        // disconnects, and repaints its root black.
        server = try Spawned("/usr/bin/Xvfb", [display, "-shmem", "-noreset", "-screen", "0", "320x200x24", "-nolisten", "tcp"],
                             captureStderr: true)
        var found: [String: Any]?
        let server = self.server
        let listed = try eventually(timeout: 30) {
            let list = try Run.adopt(["list", "--json", String(server.pid)])
            found = (list.json["buffers"] as? [[String: Any]])?.first { $0["type"] as? String == "sysv" }
            return found != nil
        }
        guard listed, let found else {
            server.killAndWait()
            throw TestFailure("Xvfb mapped no System V segment within 30 s")
        }
        row = found
        if let shmid = row["shmid"] as? Int { shmctl(Int32(shmid), IPC_RMID, nil) }
    }

    deinit { server.killAndWait() }

    var pid: pid_t { server.pid }
    var size: Int { row["size"] as? Int ?? 0 }

    /// The framebuffer mapping's start, "0x…".
    var address: String {
        let range = (row["mappings"] as? [String])?.first?.split(separator: " ").first?.split(separator: "-") ?? []
        return "0x" + String(range.first ?? "0")
    }

    /// `xsetroot -solid COLOUR` on this display.
    func paintRoot(_ colour: String) throws -> Run {
        try Run.program("/usr/bin/env", ["DISPLAY=\(display)", "/usr/bin/xsetroot", "-solid", colour])
    }
}
