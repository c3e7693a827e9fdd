import DmabufPlugin
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

    @Test("one key per fact: no handler repeats the library's inode as fdinfo's ino")
    func noDuplicateFacts() throws {
        // A memfd's fdinfo has the ino line a dma-buf's has: what the
        // dma-buf handler would copy beside the library's inode.
        let memfd = try OwnMemfd("facts", bytes: Array("Hello".utf8))
        let adoption = try memfd.adopt()
        #expect(adoption.file.fdinfo["ino"] == String(adoption.file.inode))
        #expect(adoption.describe()["inode"] == .int(Int64(adoption.file.inode)))
        let handlers: [any ResourceHandler] = [MemfdHandler(), ShmHandler(), DmabufHandler()]
        for handler in handlers {
            let keys = handler.describe(adoption.file).fields.map(\.key)
            #expect(!keys.contains("ino") && Set(keys).isDisjoint(with: Description.coreKeys), "\(handler.type): \(keys)")
        }
        #expect(DmabufHandler().describe(adoption.file).fields.map(\.key) == ["exporter", "name", "count"])
    }
}
