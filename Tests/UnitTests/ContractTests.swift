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
        let memfd = try OwnMemfd("contract", bytes: Array("Hello".utf8))
        let adoption = try memfd.adopt()
        let handlerKeys = Set(adoption.handler.describe(adoption.file).fields.map(\.key))
        #expect(handlerKeys.isDisjoint(with: Description.coreKeys))
        let keys = Set(adoption.describe().fields.map(\.key))
        #expect(Description.coreKeys.subtracting(["note", "mapping"]).isSubset(of: keys))
    }
}
