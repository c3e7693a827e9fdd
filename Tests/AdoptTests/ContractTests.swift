import MemfdPlugin
import RemoteFD
import ShmPlugin
import Testing

/// ResourceHandler's contract, where the library enforces it.
@Suite("The handler contract")
struct ContractTests {
    @Test("handlers with distinct types register in order")
    func distinctTypes() {
        #expect(HandlerRegistry([MemfdHandler(), ShmHandler()]).types == ["memfd", "shm"])
    }

    @Test("the library's description keys are the ones Adoption.describe sets")
    func coreKeys() throws {
        let producer = try Producer(Producers.memfd, [])
        let adoption = try Adopter(handlers: HandlerRegistry([MemfdHandler()]), via: .pidfd).adopt(pid: producer.pid, fd: producer.fd())
        let handlerKeys = Set(adoption.handler.describe(adoption.file).fields.map(\.key))
        #expect(handlerKeys.isDisjoint(with: Description.coreKeys))
        let keys = Set(adoption.describe().fields.map(\.key))
        #expect(Description.coreKeys.subtracting(["note", "mapping"]).isSubset(of: keys))
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
