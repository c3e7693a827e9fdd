// SPDX-License-Identifier: Apache-2.0
import Foundation
import Testing

/// `--version` and `--verbose` (the one version every artefact carries:
/// UnitTests' VersionTests).
@Suite("Version, --verbose, dump fallback")
struct VersionVerboseTests {
    @Test("--version names the release, the module found and the backends available")
    func version() throws {
        let run = try Run.adopt(["--version"])
        #expect(run.status == 0)
        let lines = run.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("adopt ") == true)
        #expect(lines.contains { $0.hasPrefix("module: ") })
        #expect(lines.contains { $0.hasPrefix("backends: kmod (") && $0.contains("pidfd (available)") })
        #expect(lines.contains("handlers: memfd, shm, dmabuf, sysv"))
    }

    @Test("--verbose says which backend was chosen and why; silent without it")
    func verbose() throws {
        let producer = try Producer(Producers.memfd, [])
        let quiet = try Run.adopt([String(producer.pid), String(producer.fd())])
        #expect(quiet.status == 0)
        #expect(quiet.stderr == "")
        let run = try Run.adopt(["--verbose", String(producer.pid), String(producer.fd())])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("adopt: backend: chosen pidfd") || run.stderr.contains("adopt: backend: kmod:"))
        let asked = try Run.adopt(["--verbose", "--via", "procfs", String(producer.pid), String(producer.fd())])
        #expect(asked.stderr.contains("adopt: backend: procfs, as --via asks"))
        let list = try Run.adopt(["list", "--verbose", "--no-sharers", String(producer.pid)])
        #expect(list.stderr.contains("adopt: list: "))
    }

    @Test("--dump to a destination sendfile refuses (O_APPEND) falls back to reading, same bytes")
    func dumpAppend() throws {
        let producer = try Producer(python: Producers.pythonMemfd)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("adopt-append-\(getpid())").path
        defer { unlink(path) }
        try Data("x".utf8).write(to: URL(fileURLWithPath: path))
        let run = try Run.program("/bin/sh", ["-c", "exec \"$0\" --verbose --dump - \"$1\" \"$2\" >> \"$3\"",
                                              Products.path("adopt"), String(producer.pid), String(producer.fd()), path])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("pread loop"))
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(data.count == 1 + (1 << 20))
        #expect(checksum(data.dropFirst()) == checksum(Producers.pythonMemfdBytes()))
    }
}
