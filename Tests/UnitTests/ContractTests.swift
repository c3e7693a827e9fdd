// SPDX-License-Identifier: Apache-2.0
import DmabufPlugin
import MemfdPlugin
import RemoteFD
import Glibc
import ShmPlugin
import SysvPlugin
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

    @Test("the built-in handlers pass HandlerConformance.check on this process's own buffers")
    func conformance() throws {
        let memfd = try OwnMemfd("conform", bytes: Array("Hello".utf8))
        let memfdFile = try memfd.adopt().file
        // A /dev/shm file and a System V segment of our own.
        let name = "/rfd-conform-\(getpid())"
        let shmFD = shm_open(name, O_CREAT | O_RDWR | O_EXCL, 0o600)
        try #require(shmFD >= 0)
        defer { close(shmFD); shm_unlink(name) }
        try #require(ftruncate(shmFD, 4096) == 0)
        let shmFile = try Adopter(handlers: HandlerRegistry([ShmHandler()]), via: .pidfd).adopt(pid: getpid(), fd: shmFD).file
        let shmid = shmget(IPC_PRIVATE, 8192, 0o600)
        try #require(shmid >= 0)
        defer { shmctl(shmid, IPC_RMID, nil) }
        let segment = try SysvHandler().adopt(id: shmid)

        let cases: [(any ResourceHandler, AdoptedFile, [String])] = [
            (MemfdHandler(), memfdFile, ["/memfd:cam0 (deleted)"]),
            (ShmHandler(), shmFile, ["/dev/shm/cam0"]),
            (SysvHandler(), segment, ["/SYSV0000abcd (deleted)"]),
        ]
        for (handler, file, paths) in cases {
            let others = cases.map(\.1).filter { $0 !== file }
            let problems = HandlerConformance.check(handler, takes: [file], refuses: others, claims: paths)
            #expect(problems.isEmpty, "\(handler.type): \(problems)")
        }
    }

    @Test("HandlerConformance.check finds a handler that breaks the contract")
    func conformanceFindsBreakage() throws {
        struct Greedy: ResourceHandler, ResourceListing {
            var type: String { "greedy one" }
            var displayName: String { "anything" }
            func probe(_ file: AdoptedFile) -> Bool {
                lseek(file.descriptor.rawValue, 1, SEEK_CUR)
                return true
            }
            func describe(_ file: AdoptedFile) -> Description {
                var d = Description()
                d.append("size", 1)
                return d
            }
            func open(_ file: AdoptedFile, options: AccessOptions) throws(AdoptError) -> any BufferAccess {
                try FileBufferAccess.open(file, options: options)
            }
            func listDetail(_ description: Description) -> String { "" }
            func listRow(_ file: ListedFile) -> ListedRow { .row(ListColumns(name: "x", detail: "y")) }
        }
        let memfd = try OwnMemfd("greedy", bytes: Array("Hello".utf8))
        let file = try memfd.adopt().file
        let problems = HandlerConformance.check(Greedy(), takes: [file], refuses: [file])
        #expect(problems.contains { $0.hasPrefix("type 'greedy one'") })
        #expect(problems.contains { $0.contains("the file offset moved") })
        #expect(problems.contains { $0.contains("the library's key 'size'") })
        #expect(problems.contains { $0.contains("no \"name\" field") })
        #expect(problems.contains { $0.contains("differ from the description's") })
        #expect(problems.contains { $0.contains("which is not its kind") })
    }
}
