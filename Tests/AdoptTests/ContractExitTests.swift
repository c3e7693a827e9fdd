import MemfdPlugin
import RemoteFD
import Testing

/// ResourceHandler's contract where breaking it stops the program: exit
/// tests. scripts/test.sh runs this suite in a `swift test` of its own:
/// Swift Testing's exit-test monitor waits on any child (waitid), while the
/// other tests reap their own children (Spawned) with waitpid.
@Suite("The handler contract: what stops the program")
struct ContractExitTests {
    @Test("a second handler with a type already registered stops the program")
    func uniqueType() async {
        await #expect(processExitsWith: .failure) {
            _ = HandlerRegistry([MemfdHandler(), MemfdHandler()])
        }
    }

    @Test("a handler describing one of the library's keys stops a debug build (release builds drop the field)")
    func coreKeyRefused() async {
        await #expect(processExitsWith: .failure) {
            // A python producer: it exits by itself when this child dies
            // and its stdin closes (the sample producer would outlive it).
            let producer = try Producer(python: Producers.pythonMemfd)
            let adoption = try Adopter(handlers: HandlerRegistry([SizeClaimingHandler()]), via: .pidfd)
                .adopt(pid: producer.pid, fd: producer.fd())
            _ = adoption.describe()
        }
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
