// SPDX-License-Identifier: Apache-2.0
import RemoteFD
import Foundation
import MemfdPlugin
import ShmPlugin
import SystemPackage
import Testing

let handlers = HandlerRegistry([MemfdHandler(), ShmHandler()])
let hostBackends: [BackendChoice] = [.pidfd, .procfs]

@Suite("Adoption through the library")
struct LibraryAdoptionTests {
    @Test("memfd contents are equal before and after the producer is SIGKILLed", arguments: hostBackends)
    func memfdSurvivesProducer(via: BackendChoice) throws {
        let producer = try Producer(Producers.memfd, ["--interval", "50"])
        let adoption = try Adopter(handlers: handlers, via: via).adopt(pid: producer.pid, fd: producer.fd())
        #expect(adoption.type == "memfd")
        #expect(adoption.file.backendName == via.rawValue)
        let access = try adoption.open()
        #expect(access.size == 2 << 20)

        producer.signal(SIGSTOP)  // no write between the two reads
        let before = try access.bytes(at: 0, length: access.size)
        #expect(String(decoding: before.prefix(22), as: UTF8.self) == "Hello, shared memory! ")
        #expect(before[64..<(2 << 20)].enumerated().allSatisfy { Int($0.element) == ($0.offset + 64) % 251 })
        producer.killAndWait()
        #expect(kill(producer.pid, 0) == -1)

        let after = try access.bytes(at: 0, length: access.size)
        #expect(after.count == before.count)
        #expect(checksum(after) == checksum(before))
    }

    @Test("a memfd made by python (not by this project) reads back exactly", arguments: hostBackends)
    func pythonMemfd(via: BackendChoice) throws {
        let producer = try Producer(python: Producers.pythonMemfd)
        let adoption = try Adopter(handlers: handlers, via: via).adopt(pid: producer.pid, fd: producer.fd(), type: "memfd")
        #expect(adoption.describe()["name"] == .string("pyprod"))
        let access = try adoption.open()
        let expected = Producers.pythonMemfdBytes()
        #expect(checksum(try access.bytes(at: 0, length: access.size)) == checksum(expected))
        producer.killAndWait()
        #expect(checksum(try access.bytes(at: 0, length: access.size)) == checksum(expected))
    }

    @Test("shm: name, owner, mode, unlinked; contents survive the producer", arguments: [false, true])
    func shm(unlinked: Bool) throws {
        let producer = try Producer(Producers.shm, ["--interval", "50", "--size", "65536"] + (unlinked ? ["--unlink"] : []))
        defer { _ = shm_unlink("/remotefd-shm-\(producer.pid)") }
        let adoption = try Adopter(handlers: handlers, via: .pidfd).adopt(pid: producer.pid, fd: producer.fd())
        let d = adoption.describe()
        #expect(d["type"] == .string("shm"))
        #expect(d["name"] == .string("/remotefd-shm-\(producer.pid)"))
        #expect(d["mode"] == .string("0600"))
        #expect(d["unlinked"] == .bool(unlinked))
        #expect(d["size"] == .int(65536))
        let access = try adoption.open()
        producer.signal(SIGSTOP)
        let before = try access.bytes(at: 0, length: 65536)
        #expect(String(decoding: before.prefix(13), as: UTF8.self) == "Hello, shm! [")
        producer.killAndWait()
        #expect(checksum(try access.bytes(at: 0, length: 65536)) == checksum(before))
    }

    @Test("no fd is leaked after 10 000 adoptions", arguments: hostBackends)
    func noLeak(via: BackendChoice) throws {
        let producer = try Producer(Producers.memfd, ["--size", "65536"])
        let adopter = Adopter(handlers: handlers, via: via)
        let first = try adopter.adopt(pid: producer.pid, fd: producer.fd())
        let (device, inode) = (first.file.device, first.file.inode)
        let fdsBefore = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count
        for _ in 0..<10_000 {
            let adoption = try adopter.adopt(pid: producer.pid, fd: producer.fd())
            let access = try adoption.open()
            _ = try access.bytes(at: 0, length: 32)
        }
        // Adoptions that fail must not leak either.
        for _ in 0..<1_000 {
            #expect(throws: AdoptError.self) { try adopter.adopt(pid: producer.pid, fd: 999) }
            #expect(throws: AdoptError.self) { try adopter.adopt(pid: producer.pid, fd: producer.fd(), type: "shm") }
        }
        #expect(ownFDs(device: device, inode: inode) == 1)  // `first` only
        let fdsAfter = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count
        // Other tests run concurrently and open a few fds: 10 000 leaks would show.
        #expect(fdsAfter - fdsBefore < 100)
        _ = first
    }

    @Test("a write-sealed memfd is mapped read-only and refuses read-write")
    func writeSealed() throws {
        let producer = try Producer(Producers.memfd, ["--seal-write", "--size", "8192"])
        // The producer seals right after announcing: wait for the seals.
        let adopter = Adopter(handlers: handlers, via: .pidfd)
        var adoption = try adopter.adopt(pid: producer.pid, fd: producer.fd())
        try eventually {
            if (adoption.file.seals ?? []).contains(.write) { return true }
            adoption = try adopter.adopt(pid: producer.pid, fd: producer.fd())
            return false
        }
        let seals = try #require(adoption.file.seals)
        #expect(seals.contains([.write, .shrink, .grow]))
        #expect(adoption.describe()["seals"] == .strings(["shrink", "grow", "write"]))
        #expect(adoption.file.isWritable)  // the fd allows writing: the seal forbids it
        let error = #expect(throws: AdoptError.self) { try adoption.open(AccessOptions(writable: true)) }
        #expect(error?.errno == .notPermitted)
        #expect(error?.description.contains("sealed against writing") == true)
        let access = try adoption.open()
        #expect(access.mappingInfo?.writable == false)
        // Shrink-sealed: reads come straight from the mapping, and the
        // mapping may be lent out.
        #expect(access.notes.contains { $0.contains("from the mapping") })
        #expect(try access.withMappedBytes { String(decoding: $0.prefix(25), as: UTF8.self) } == "Hello, shared memory! [0]")
        #expect(String(decoding: try access.bytes(at: 0, length: 25), as: UTF8.self) == "Hello, shared memory! [0]")
    }

    @Test("a producer shrinking its memfd does not crash the consumer")
    func shrinkingProducer() throws {
        let producer = try Producer(python: Producers.pythonShrinker)
        let adoption = try Adopter(handlers: handlers, via: .pidfd).adopt(pid: producer.pid, fd: producer.fd())
        let access = try adoption.open()
        #expect(access.mappingInfo?.length == 1 << 20)
        // Not sealed: the mapping is never lent out (a read of it could fault).
        #expect(throws: AdoptError.self) { try access.withMappedBytes { $0.count } }
        producer.send("shrink")
        #expect(try producer.readLine() == "shrunk")
        #expect(access.size == 4096)
        // The whole old range: a read through the mapping past EOF would SIGBUS.
        let bytes = try access.bytes(at: 0, length: 1 << 20)
        #expect(bytes.count == 4096)
        #expect(bytes.allSatisfy { $0 == 0xab })
        #expect(try access.bytes(at: 8192, length: 4096).isEmpty)
    }

    @Test("--seal adds F_SEAL_SHRINK: the owner can no longer shrink the file")
    func sealShrink() throws {
        let producer = try Producer(python: Producers.pythonShrinker)
        let adoption = try Adopter(handlers: handlers, via: .pidfd).adopt(pid: producer.pid, fd: producer.fd())
        let access = try adoption.open(AccessOptions(sealShrink: true))
        #expect(adoption.file.seals?.contains(.shrink) == true)
        producer.send("shrink")
        #expect(try producer.readLine() == "refused \(EPERM)")
        #expect(access.size == 1 << 20)
        #expect(try access.bytes(at: (1 << 20) - 16, length: 16) == [UInt8](repeating: 0xab, count: 16))
    }

    @Test("an fd the owner opened read-only cannot be mapped read-write, and says why")
    func readOnlyFd() throws {
        let producer = try Producer(python: """
            import os, sys
            p = "/dev/shm/remotefd-ro-%d" % os.getpid()
            w = os.open(p, os.O_RDWR | os.O_CREAT, 0o600); os.ftruncate(w, 4096); os.close(w)
            fd = os.open(p, os.O_RDONLY); os.unlink(p)
            print("pid", os.getpid(), "fd", fd, flush=True)
            sys.stdin.readline()
            """)
        let adoption = try Adopter(handlers: handlers, via: .pidfd).adopt(pid: producer.pid, fd: producer.fd())
        #expect(adoption.type == "shm")
        #expect(adoption.describe()["access"] == .string("read-only"))
        #expect(adoption.describe()["unlinked"] == .bool(true))
        let error = #expect(throws: AdoptError.self) { try adoption.open(AccessOptions(writable: true)) }
        #expect(error?.errno == .permissionDenied)
        #expect(error?.description.contains("open read-only") == true)
        #expect(try adoption.open().mappingInfo?.writable == false)
    }

    @Test("procfs reopens are new open file descriptions; nobody moves the owner's offset")
    func offsetsUntouched() throws {
        let producer = try Producer(python: Producers.pythonMemfd)
        for via in hostBackends {
            let adoption = try Adopter(handlers: handlers, via: via).adopt(pid: producer.pid, fd: producer.fd())
            _ = try adoption.open().bytes(at: 0, length: 1 << 20)
            #expect((adoption.file.backendNote != nil) == (via == .procfs))
        }
        let fdinfo = try String(contentsOfFile: "/proc/\(producer.pid)/fdinfo/\(producer.fd())", encoding: .utf8)
        #expect(fdinfo.contains("pos:\t12345"))
    }

    @Test("errors name pid, fd and errno", arguments: hostBackends)
    func errors(via: BackendChoice) throws {
        let adopter = Adopter(handlers: handlers, via: via)
        let dead = try deadPid()
        let esrch = #expect(throws: AdoptError.self) { try adopter.adopt(pid: dead, fd: 3) }
        #expect(esrch?.reason == .noSuchProcess)
        #expect(esrch?.description == "pid \(dead) fd 3: no such process (it exited, or the pid was never used) (ESRCH)")

        let producer = try Producer(Producers.memfd, [])
        let ebadf = #expect(throws: AdoptError.self) { try adopter.adopt(pid: producer.pid, fd: 77) }
        #expect(ebadf?.reason == .fdNotOpen)
        #expect(ebadf?.description == "pid \(producer.pid) fd 77: fd 77 is not open in process \(producer.pid) (EBADF)")

        let mismatch = #expect(throws: AdoptError.self) { try adopter.adopt(pid: producer.pid, fd: producer.fd(), type: "shm") }
        #expect(mismatch?.description == "pid \(producer.pid) fd \(producer.fd()): it is a memfd, not a POSIX shm file")

        let unknown = #expect(throws: AdoptError.self) { try adopter.adopt(pid: producer.pid, fd: producer.fd(), type: "pipe") }
        #expect(unknown?.reason == .unknownType("pipe"))
    }
}
