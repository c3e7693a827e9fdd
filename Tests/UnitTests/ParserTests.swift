// SPDX-License-Identifier: Apache-2.0
import Foundation
import RemoteFD
import RemoteFDHandOff
import RemoteFDKeeper
import SystemPackage
import Testing
import TestSupport

@Suite("Hand-written parsers")
struct ParserTests {
    @Test("ProcFdInfo.flags reads the octal flags line, as Int32(value, radix: 8) would")
    func fdinfoFlags() {
        func flags(_ text: String) -> Int32? { ProcFdInfo.flags(in: Array(text.utf8)) }
        #expect(flags("pos:\t0\nflags:\t0100002\nmnt_id:\t15\n") == 0o100002)
        #expect(flags("flags:\t02\n") == 2)
        #expect(flags("pos:\t0\nflags: \t 0100000 \r\n") == 0o100000)
        #expect(flags("pos:\t0\nflags:\t0100002") == 0o100002)   // no final newline
        #expect(flags("pos:\t0\nmnt_id:\t15\n") == nil)          // no flags line
        #expect(flags("flags:\t\n") == nil)                       // empty value
        #expect(flags("flags:\t0108\n") == nil)                   // not octal
        #expect(flags("flags:\t-1\n") == nil)                     // no sign
        #expect(flags("flags:\t77777777777\n") == nil)            // overflows Int32
        #expect(flags("xflags:\t1\nflags:\t3\n") == 3)            // the key starts the line
        #expect(flags("") == nil)
        // And a real one: our own stdin's.
        let real = ProcFiles.read("/proc/self/fdinfo/0").map(ProcFiles.keyValues)?["flags"].flatMap { Int32($0, radix: 8) }
        #expect(ProcFdInfo.flags(pid: getpid(), fd: 0) == real)
    }

    @Test("ProcFiles.ownFDLink formats /proc/self/fd/N as readlink of the path would", arguments: [0, 1, 9, 10, 99, 100, 1234])
    func ownFDLink(fd: Int32) throws {
        let dir = try TempDir("link")
        let file = open(dir.file("f"), O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        try #require(file >= 0)
        defer { close(file) }
        // The lowest free fd at or above `fd` (dup2 could close one a
        // concurrent test uses): 1, 2 or 3+ digits as the argument asks.
        let target = fd <= 2 ? fd : fcntl(file, F_DUPFD_CLOEXEC, fd)
        try #require(target >= fd)
        defer { if fd > 2 { close(target) } }
        #expect(ProcFiles.ownFDLink(target) == ProcFiles.readLink("/proc/self/fd/\(target)"))
        if fd > 2 { #expect(ProcFiles.ownFDLink(target) == dir.file("f")) }
        #expect(ProcFiles.ownFDLink(-1) == nil)
    }

    @Test("HeldBufferInfo(words:) takes exactly seven well-formed words, and reads back what words writes")
    func heldBufferWords() {
        let info = HeldBufferInfo(name: "cam0", type: "memfd", size: 4096, ownerUID: 1000, sourcePID: 1234, sourceFD: 3, inode: 99)
        #expect(info.words == "cam0 memfd 4096 1000 1234 3 99")
        #expect(HeldBufferInfo(words: info.words) == info)
        #expect(HeldBufferInfo(words: "cam0  memfd 4096 1000 1234 3 99") == info)   // runs of spaces
        let unknownSource = HeldBufferInfo(words: "x shm 0 0 -1 -1 7")
        #expect(unknownSource?.sourcePID == -1 && unknownSource?.sourceFD == -1)
        #expect(HeldBufferInfo(words: "cam0 memfd 4096 1000 1234 3") == nil)        // six words
        #expect(HeldBufferInfo(words: "cam0 memfd 4096 1000 1234 3 99 x") == nil)   // eight
        #expect(HeldBufferInfo(words: "cam0 memfd big 1000 1234 3 99") == nil)      // size not a number
        #expect(HeldBufferInfo(words: "cam0 memfd 4096 -5 1234 3 99") == nil)       // uid negative
        #expect(HeldBufferInfo(words: "") == nil)
    }

    @Test("Errno.named is the inverse of symbolicName")
    func errnoNamed() {
        #expect(Errno.named("ENOENT") == .noSuchFileOrDirectory)
        #expect(Errno.named("EPERM") == .notPermitted)
        #expect(Errno.named("E2BIG") == .argListTooLong)
        #expect(Errno.named("EHWPOISON") == Errno(rawValue: 133))
        #expect(Errno.named("ENOSUCH") == nil)
        #expect(Errno.named("") == nil)
        #expect(Errno.named("enoent") == nil)
        for raw in Int32(1)...Int32(133) {
            let err = Errno(rawValue: raw)
            if !err.symbolicName.hasPrefix("errno ") {
                // Aliases (EWOULDBLOCK = EAGAIN) name the first number.
                #expect(Errno.named(err.symbolicName)?.symbolicName == err.symbolicName)
            }
        }
    }

    @Test("KeeperRequest: every verb formats to a line that parses back to it")
    func keeperRequestRoundTrip() throws {
        let requests: [KeeperRequest] = [
            .list, .get(name: "cam0"), .release(name: "cam0"),
            .add(name: "a", source: nil), .add(name: "a", source: .init(pid: 12, fd: 3)),
            .importBuffer(name: "b", owner: 1000, source: .init(pid: 5, fd: 6)),
            .listener(path: "/run/k.sock"), .handover(path: "/run/k2.sock"),
        ]
        for request in requests {
            #expect(try KeeperRequest(line: request.line) == request, "\(request.line)")
        }
        #expect(try KeeperRequest(line: "add a") == .add(name: "a", source: nil))
        #expect(KeeperRequest.add(name: "a", source: nil).line == "add a -1 -1")   // what older keepers read
        #expect(KeeperRequest.importBuffer(name: "b", owner: 0, source: .init(pid: 5, fd: 6)).attachedFDs == 1)
        #expect(throws: KeeperRequest.ParseError(message: "empty request")) { try KeeperRequest(line: "") }
        #expect(throws: KeeperRequest.ParseError(message: "bad numbers in 'add a x 3'")) { try KeeperRequest(line: "add a x 3") }
        #expect(throws: KeeperRequest.ParseError.self) { try KeeperRequest(line: "get") }
        #expect(throws: KeeperRequest.ParseError.self) { try KeeperRequest(line: "list extra") }
        #expect(throws: KeeperRequest.ParseError.self) { try KeeperRequest(line: "import b 1000 5") }
        #expect(KeeperStatus(line: "ok") == .ok(""))
        #expect(KeeperStatus(line: "ok 3") == .ok("3"))
        #expect(KeeperStatus(line: "err ENOENT no buffer named x") == .err(errnoName: "ENOENT", message: "no buffer named x"))
        #expect(KeeperStatus(line: "buffer x") == nil)
    }

    @Test("fd names: the one rule for keeper names, LISTEN_FDNAMES and FDNAME=")
    func fdNames() {
        #expect(FdName.isValid("cam0.fd-3+x@y_z"))
        #expect(!FdName.isValid(""))
        #expect(!FdName.isValid("a:b"))
        #expect(!FdName.isValid("a b"))
        #expect(!FdName.isValid(String(repeating: "a", count: 65)))
        #expect(FdName.sanitized("my prod:1") == "my_prod_1")
        #expect(FdName.sanitized("") == "buffer")
    }
}
