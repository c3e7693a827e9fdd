// SPDX-License-Identifier: Apache-2.0
@testable import adopt
import Foundation
import RemoteFD
import Testing
import TestSupport

/// `DumpDirectory` in-process: the names it makes up never write through a
/// planted link (the whole `watch --dump-dir` run, and every name taken:
/// AdoptTests' DumpDirectoryTests).
@Suite("DumpDirectory: a planted name is skipped, never written through")
struct DumpDirectoryUnitTests {
    @Test("a symlink and a hard link at NAME and NAME.1: the file is NAME.2, the target untouched")
    func skipsPlantedNames() throws {
        let dir = try TempDir("dumpdir-unit")
        let victim = try TempDir("victim")
        let target = victim.file("victim")
        try Data("untouched".utf8).write(to: URL(fileURLWithPath: target))
        #expect(symlink(target, dir.file("1-fd3.memfd")) == 0)
        #expect(link(target, dir.file("1-fd3.memfd.1")) == 0)
        let memfd = try OwnMemfd("dumpdir", bytes: [1])
        let adoption = try memfd.adopt()

        let created = try DumpDirectory(dir.path, pid: getpid()).create("1-fd3.memfd", for: adoption.file)
        #expect(write(created.fd, "dump", 4) == 4)
        close(created.fd)
        #expect(created.path == dir.file("1-fd3.memfd.2"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: created.path)) == Data("dump".utf8))
        #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == Data("untouched".utf8))
    }

    @Test("a directory that cannot be opened: the errno, before anything is created")
    func badDirectory() throws {
        let error = #expect(throws: AdoptError.self) { try DumpDirectory("/proc/self/status", pid: getpid()) }
        #expect(error?.errno == .notDirectory)
    }
}
