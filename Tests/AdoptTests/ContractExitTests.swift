// SPDX-License-Identifier: Apache-2.0
import Glibc
import MemfdPlugin
import RemoteFD
import Testing

/// How a Swift trap (precondition, assertionFailure) ends a process: ud2
/// on x86_64 raises SIGILL, brk on arm64 SIGTRAP.
#if arch(x86_64)
let trapSignal = SIGILL
#else
let trapSignal = SIGTRAP
#endif

/// ResourceHandler's contract where breaking it stops the program: exit
/// tests, each expecting the trap and the message the library stops with
/// (any other end — an error thrown, an exit — fails them). scripts/test.sh
/// runs this suite in a `swift test` of its own: Swift Testing's exit-test
/// monitor waits on any child (waitid), while the other tests reap their
/// own children (Spawned) with waitpid.
@Suite("The handler contract: what stops the program")
struct ContractExitTests {
    /// The child's stderr as text.
    static func stderr(_ result: ExitTest.Result?) -> String {
        String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
    }

    @Test("a second handler with a type already registered stops the program")
    func uniqueType() async {
        let result = await #expect(processExitsWith: .signal(trapSignal), observing: [\.standardErrorContent]) {
            _ = HandlerRegistry([MemfdHandler(), MemfdHandler()])
        }
        let stderr = Self.stderr(result)
        #expect(stderr.contains("Precondition failed: HandlerRegistry: a handler of type 'memfd' is already registered"), "\(stderr)")
    }

    @Test("a handler describing one of the library's keys stops a debug build (release builds drop the field)")
    func coreKeyRefused() async {
        let result = await #expect(processExitsWith: .signal(trapSignal), observing: [\.standardErrorContent]) {
            // A python producer: it exits by itself when this child dies
            // and its stdin closes (the sample producer would outlive it).
            let producer = try Producer(python: Producers.pythonMemfd)
            let adoption = try Adopter(handlers: HandlerRegistry([SizeClaimingHandler()]), via: .pidfd)
                .adopt(pid: producer.pid, fd: producer.fd())
            _ = adoption.describe()
        }
        let stderr = Self.stderr(result)
        #expect(stderr.contains("Fatal error: handler 'claims-size' described the library's key 'size'"), "\(stderr)")
    }
}

/// Breaks the contract: describes "size", which the library owns.
struct SizeClaimingHandler: ResourceHandler {
    var type: String { "claims-size" }
    var displayName: String { "a memfd claiming its size" }
    func probe(_ file: AdoptedFile) -> Bool { file.link.hasPrefix("/memfd:") }
    func describe(_ file: AdoptedFile) -> Description {
        var d = Description()
        d.append("size", 1)
        return d
    }
    func open(_ file: AdoptedFile, options: AccessOptions) throws(AdoptError) -> any BufferAccess {
        try FileBufferAccess.open(file, options: options)
    }
}
