// SPDX-License-Identifier: Apache-2.0
import Foundation
import Glibc
import MemfdPlugin
import RemoteFD
@testable import RemoteFDCapture
import ShmPlugin
import SystemPackage
import Testing

/// The library's capture on exit (`ExitCapture`), called in this process:
/// the test is the tracer (and the producer's parent). The producer is
/// told to exit, or killed, from the `.armed` progress report, so nothing
/// runs concurrently with the capture. Every run but the module's own
/// names a ptrace backend: with the module loaded, `.auto` would use it.
@Suite("Capture on exit: the library's ExitCapture (ptrace)", .serialized)
struct ExitCaptureTests {
    static let handlers = HandlerRegistry([MemfdHandler(), ShmHandler()])
    static let moduleLoaded = FileManager.default.fileExists(atPath: KmodExitCapture.devicePath)

    /// Two memfds (5000 "A", 7000 "B") and a pipe; exits 7 on a line.
    static let twoMemfds = """
        import os, sys
        a = os.memfd_create("cap-a"); os.write(a, b"A" * 5000)
        b = os.memfd_create("cap-b"); os.write(b, b"B" * 7000)
        r, w = os.pipe()
        print("pid", os.getpid(), "fd", a, "fd", b, "fd", r, flush=True)
        sys.stdin.readline()
        os._exit(7)
        """

    /// The fd numbers of `buffers` (nil origins left out).
    static func fds(_ buffers: [Adoption]) -> [Int32] {
        buffers.compactMap { $0.file.fd as Int32? }
    }

    @Test("every buffer by default, the real exit status, other fds skipped, armed once, nothing to note")
    func everyBuffer() throws {
        let producer = try Spawned(python: Self.twoMemfds)
        let line = try producer.readLine()
        let (a, b, pipe) = (Spawned.fd(in: line, 0)!, Spawned.fd(in: line, 1)!, Spawned.fd(in: line, 2)!)
        var armed: [ExitCapture.Method] = []
        let exit = try ExitCapture(pid: producer.pid, handlers: Self.handlers, backend: .pidfd).run { progress in
            switch progress {
            case .armed(let method):
                armed.append(method)
                // TracerPid names the tracing thread: one of this process's.
                let tracer = statusField(pid: producer.pid, "TracerPid") ?? "0"
                #expect(FileManager.default.fileExists(atPath: "/proc/self/task/\(tracer)"), "TracerPid \(tracer)")
                producer.send("exit")
            case .note(let note):
                Issue.record("unexpected note: \(note)")
            }
        }
        #expect(armed == [.ptrace])
        #expect(exit.pid == producer.pid)
        #expect(exit.method == .ptrace)
        #expect(exit.termination == .exited(code: 7))
        #expect(exit.termination.exitCode == 7 && exit.termination.signal == nil)
        #expect(Self.fds(exit.buffers) == [a, b])
        #expect(exit.buffers.map(\.type) == ["memfd", "memfd"])
        #expect(exit.buffers.allSatisfy { $0.file.backendName == "pidfd" })
        #expect(exit.failures.isEmpty, "\(exit.failures)")
        #expect(exit.notes.isEmpty)
        // stdio and the pipe: passed over, not failures.
        let skipped = exit.skipped.compactMap(\.fd)
        #expect(skipped.contains(pipe) && skipped.contains(0), "\(exit.skipped)")
        let contents = try exit.buffers.map { try $0.open().bytes(at: 0, length: $0.file.currentSize) }
        #expect(contents[0] == [UInt8](repeating: 0x41, count: 5000))
        #expect(contents[1] == [UInt8](repeating: 0x42, count: 7000))
        // Detached at the stop: the parent (this test) reaps the real status.
        #expect(producer.waitForExit(timeout: 10) == 7)
        #expect(producer.exited == true)
    }

    @Test("named fds: exactly those, each that cannot be taken a failure; a SIGKILL is the termination")
    func namedFds() throws {
        let producer = try Spawned(python: Self.twoMemfds)
        let line = try producer.readLine()
        let (b, pipe) = (Spawned.fd(in: line, 1)!, Spawned.fd(in: line, 2)!)
        let capture = ExitCapture(pid: producer.pid, handlers: Self.handlers, backend: .pidfd,
                                  selection: ExitCapture.Selection(fds: [b, pipe, 999]))
        let exit = try capture.run { progress in
            if case .armed = progress { kill(producer.pid, SIGKILL) }
        }
        #expect(exit.termination == .killed(signal: SIGKILL))
        #expect(exit.termination.description == "killed by signal 9 (SIGKILL)")
        #expect(Self.fds(exit.buffers) == [b])
        #expect(exit.failures.map(\.fd) == [pipe, 999])
        #expect(exit.failures.first?.reason == .notAdoptable(kind: "pipe"), "\(exit.failures)")
        #expect(exit.failures.last?.reason == .fdNotOpen, "\(exit.failures)")
        #expect(exit.skipped.isEmpty)
    }

    @Test("a types selection keeps only those types; an unknown type is refused before attaching")
    func types() throws {
        let producer = try Spawned(python: Self.twoMemfds)
        let line = try producer.readLine()
        let a = Spawned.fd(in: line, 0)!
        #expect {
            _ = try ExitCapture(pid: producer.pid, handlers: Self.handlers, backend: .pidfd,
                                selection: ExitCapture.Selection(types: ["shm", "nope"])).run()
        } throws: { ($0 as? AdoptError)?.reason == .unknownType("nope") }
        #expect(statusField(pid: producer.pid, "TracerPid") == "0")
        #expect {
            _ = try ExitCapture(pid: producer.pid, handlers: Self.handlers, backend: .pidfd,
                                selection: ExitCapture.Selection(fds: [])).run()
        } throws: { ($0 as? AdoptError)?.errno == .invalidArgument }
        let exit = try ExitCapture(pid: producer.pid, handlers: Self.handlers, backend: .pidfd,
                                   selection: ExitCapture.Selection(types: ["shm"])).run { progress in
            if case .armed = progress { producer.send("exit") }
        }
        #expect(exit.termination == .exited(code: 7))
        #expect(exit.buffers.isEmpty)
        #expect(exit.failures.isEmpty)
        #expect(exit.skipped.contains { error in
            guard case .notAdoptable(let kind) = error.reason else { return false }
            return error.fd == a && kind.contains("memfd:cap-a")
        }, "\(exit.skipped)")
    }

    /// Records each call and takes one more fd through the stop's adopter.
    final class RecordingCapture: ExitMappingCapture {
        let takeFD: Int32?
        var calls: [(pid: pid_t, captured: [Int32], fdsOpen: Bool, alreadyHasFirst: Bool)] = []

        init(takeFD: Int32?) { self.takeFD = takeFD }

        func capture(at stop: ExitStop) -> CapturedBuffers {
            let first = stop.captured.first?.file
            calls.append((stop.target.pid, ExitCaptureTests.fds(stop.captured),
                          FileManager.default.fileExists(atPath: "/proc/\(stop.target.pid)/fd/\(takeFD ?? 0)"),
                          first.map { stop.hasCaptured(device: $0.device, inode: $0.inode) } ?? false))
            guard let takeFD else {
                return CapturedBuffers(failures: [AdoptError(pid: stop.target.pid, fd: nil, reason: .other, "hook says no")])
            }
            do {
                return CapturedBuffers(buffers: [try stop.adopter.adopt(fd: takeFD, of: stop.target)])
            } catch {
                return CapturedBuffers(failures: [error])
            }
        }
    }

    @Test("mapping capturers run at the exit stop, in order, after the fds, each seeing what was taken before")
    func hooks() throws {
        let producer = try Spawned(python: Self.twoMemfds)
        let line = try producer.readLine()
        let (a, b) = (Spawned.fd(in: line, 0)!, Spawned.fd(in: line, 1)!)
        let refusing = RecordingCapture(takeFD: nil)
        let taking = RecordingCapture(takeFD: b)
        let capture = ExitCapture(pid: producer.pid, handlers: Self.handlers, backend: .pidfd,
                                  selection: ExitCapture.Selection(fds: [a]), mappingCapturers: [refusing, taking])
        let exit = try capture.run { progress in
            if case .armed = progress { kill(producer.pid, SIGKILL) }
        }
        #expect(refusing.calls.count == 1 && taking.calls.count == 1)
        #expect(refusing.calls.first?.pid == producer.pid)
        #expect(refusing.calls.first?.captured == [a])
        #expect(refusing.calls.first?.alreadyHasFirst == true)
        // Still at the stop: the exiting process's fd table is intact.
        #expect(taking.calls.first?.fdsOpen == true)
        #expect(taking.calls.first?.captured == [a])
        #expect(Self.fds(exit.buffers) == [a, b])
        #expect(exit.failures.map(\.message) == ["hook says no"])
        #expect(exit.termination == .killed(signal: SIGKILL))
        let contents = try exit.buffers[1].open().bytes(at: 0, length: 7000)
        #expect(contents == [UInt8](repeating: 0x42, count: 7000))
    }

    @Test("maps: a buffer held by an fd and a mapping is captured once (by the fd); a mapped-only one by its mapping",
          .enabled(if: getuid() == 0, "map_files needs CAP_SYS_ADMIN: NOT RUN"))
    func mapsOnce() throws {
        let producer = try Spawned(python: """
            import os, sys, ctypes
            libc = ctypes.CDLL(None, use_errno=True)
            libc.mmap.restype = ctypes.c_void_p
            libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
            def mapped(name, size, head):
                fd = os.memfd_create(name); os.ftruncate(fd, size)
                addr = libc.mmap(None, size, 3, 1, fd, 0)   # PROT_READ|WRITE, MAP_SHARED
                ctypes.memmove(addr, head, len(head))
                return fd
            held = mapped("held", 8192, b"HELD")
            os.close(mapped("gone", 4096, b"GONE"))
            print("pid", os.getpid(), "fd", held, flush=True)
            sys.stdin.readline()
            """)
        let held = try #require(Spawned.fd(in: try producer.readLine()))
        let exit = try ExitCapture(pid: producer.pid, handlers: Self.handlers, backend: .pidfd,
                                   selection: ExitCapture.Selection(maps: true)).run { progress in
            if case .armed = progress { kill(producer.pid, SIGKILL) }
        }
        #expect(exit.failures.isEmpty, "\(exit.failures)")
        #expect(exit.buffers.count == 2, "\(exit.buffers.map { $0.describe().text })")
        #expect(exit.buffers.first?.file.mapping == nil && Self.fds(exit.buffers).first == held)
        #expect(exit.buffers.last?.file.mapping != nil)
        let heads = try exit.buffers.map { try $0.open().bytes(at: 0, length: 4) }
        #expect(heads == [Array("HELD".utf8), Array("GONE".utf8)])
    }

    @Test("auto without the module: ptrace, without a word; kmod without it: refused, naming the process",
          .enabled(if: !moduleLoaded, "the module is loaded here"))
    func withoutModule() throws {
        let producer = try Spawned(python: Self.twoMemfds)
        _ = try producer.readLine()
        #expect {
            _ = try ExitCapture(pid: producer.pid, handlers: Self.handlers, backend: .kmod).run()
        } throws: { error in
            guard let error = error as? AdoptError else { return false }
            return error.pid == producer.pid && error.reason == .backendUnavailable("kmod")
                && error.description.contains("cannot open /dev/remotefd")
        }
        #expect(statusField(pid: producer.pid, "TracerPid") == "0")
        let exit = try ExitCapture(pid: producer.pid, handlers: Self.handlers).run { progress in
            if case .armed = progress { producer.send("exit") }
        }
        #expect(exit.method == .ptrace)
        #expect(exit.notes.isEmpty)
        #expect(exit.buffers.count == 2)
        #expect(exit.termination == .exited(code: 7))
    }

    @Test("terminations and methods read as adopt watch prints them")
    func texts() {
        #expect(CapturedExit.Termination(waitStatus: 3 << 8) == .exited(code: 3))
        #expect(CapturedExit.Termination(waitStatus: SIGKILL) == .killed(signal: SIGKILL))
        #expect(CapturedExit.Termination(waitStatus: SIGSEGV | 0x80) == .killed(signal: SIGSEGV))
        #expect(CapturedExit.Termination(waitStatus: 0x137f) == .waitStatus(0x137f))
        #expect(CapturedExit.Termination.exited(code: 0).description == "exited with status 0")
        #expect(CapturedExit.Termination.killed(signal: SIGTERM).description == "killed by signal 15")
        #expect(CapturedExit.Termination.exitedStatusUnknown.description == "exited")
        #expect(CapturedExit.Termination.denied.description == "exited after exec or a credential change since arming: nothing captured")
        #expect(CapturedExit.Termination.collectionFailed.description == "collection failed")
        #expect(!CapturedExit.Termination.collectionFailed.hasEnded && CapturedExit.Termination.denied.hasEnded)
        #expect(ExitCapture.Method.module.description == "kmod (REMOTEFD_IOC_WATCH)")
        #expect(ExitCapture.Method.ptrace.description == "ptrace (PTRACE_O_TRACEEXIT)")
        #expect(ExitCapture.Method.module.rawValue == "kmod")
    }

    @Test("the module's events: a buffer reported by its fd and its mappings is kept once, the fd's")
    func moduleDuplicates() throws {
        func shm(_ name: String) throws -> FileDescriptor {
            let path = "/rfd-dup-\(name)-\(getpid())"
            let fd = shm_open(path, O_RDWR | O_CREAT | O_EXCL, 0o600)
            guard fd >= 0 else { throw TestFailure("shm_open: \(errno)") }
            shm_unlink(path)
            guard ftruncate(fd, 4096) == 0 else { throw TestFailure("ftruncate: \(errno)") }
            return FileDescriptor(rawValue: fd)
        }
        let first = try shm("first"), second = try shm("second")
        defer { try? first.close(); try? second.close() }
        func adoption(_ fd: FileDescriptor, mappedAt start: UInt64?) throws -> Adoption {
            let file = try AdoptedFile(descriptor: try fd.duplicate(), pid: getpid(), fd: start == nil ? fd.rawValue : -1,
                                       backendName: "kmod")
            if let start {
                file.mapping = ProcessMapping(start: start, end: start + 4096, perms: "---s", offset: 0,
                                              device: file.device, inode: file.inode, path: "")
            }
            return try #require(Adoption.identify(file, handlers: Self.handlers))
        }
        let events = [try adoption(first, mappedAt: 0x1000), try adoption(first, mappedAt: nil),
                      try adoption(second, mappedAt: 0x3000), try adoption(second, mappedAt: 0x5000),
                      try adoption(first, mappedAt: 0x7000)]
        let kept = KmodExitCapture.withoutDuplicateMappings(events)
        #expect(kept.map { $0.file.mapping?.start } == [nil, 0x3000])
    }
}
