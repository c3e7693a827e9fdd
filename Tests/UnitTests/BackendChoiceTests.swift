// SPDX-License-Identifier: Apache-2.0
import Foundation
import RemoteFD
import Testing
import TestSupport

@Suite("--via auto: one policy")
struct BackendChoiceTests {
    @Test("no /dev/remotefd: pidfd, without a word")
    func absent() throws {
        let dir = try TempDir("via")
        let (backend, note) = Backends.choose(.auto, among: [KmodBackend(devicePath: dir.file("remotefd")), PidfdBackend(), ProcfsBackend()])
        #expect(backend.name == "pidfd")
        #expect(note == nil)
    }

    @Test("a node that exists but cannot be opened: pidfd, and the note says why")
    func notOpenable() throws {
        let dir = try TempDir("via")
        // open(2) of a Unix socket fails (ENXIO) even for root, as a stale
        // node does; a node of another group fails with EACCES the same way.
        let path = dir.file("remotefd")
        let sock = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(sock) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { dst in
            for (i, b) in path.utf8.enumerated() { dst[i] = b }
        }
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(sock, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        try #require(bound == 0)
        let (backend, note) = Backends.choose(.auto, among: [KmodBackend(devicePath: path), PidfdBackend(), ProcfsBackend()])
        #expect(backend.name == "pidfd")
        #expect(note == "cannot open /dev/remotefd: is the remotefd module loaded? (ENXIO): using pidfd")
    }

    @Test("an explicit choice is taken as given")
    func explicit() {
        #expect(Backends.choose(.procfs).backend.name == "procfs")
        #expect(Backends.choose(.procfs).note == nil)
    }
}
