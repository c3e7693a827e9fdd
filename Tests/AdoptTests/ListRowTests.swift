// SPDX-License-Identifier: Apache-2.0
import MemfdPlugin
import RemoteFD
import Testing

/// An eventfd handler from outside, with a listing but no `listRow`: the
/// listing must make it an `AdoptedFile` and probe it as usual.
struct ListedEventfdHandler: ResourceHandler, ResourceListing {
    var type: String { "eventfd" }
    var displayName: String { "an eventfd" }
    func probe(_ file: AdoptedFile) -> Bool { file.link == "anon_inode:[eventfd]" }
    func describe(_ file: AdoptedFile) -> Description {
        var d = Description()
        d.append("name", "counter")
        return d
    }
    func open(_ file: AdoptedFile, options: AccessOptions) throws(AdoptError) -> any BufferAccess {
        throw AdoptError(file, reason: .mapRefused, errno: .operationNotSupportedByDevice, "no memory")
    }
    func listDetail(_ description: Description) -> String { "detail-from-description" }
}

@Suite("Listing rows through ResourceListing.listRow")
struct ListRowTests {
    @Test("memfd rows come from listRow, a handler without it from an AdoptedFile, in registration order; both equal what describing gives")
    func fastAndDescribedRowsAgree() throws {
        let producer = try Producer(python: """
            import fcntl, os, sys
            m = os.memfd_create("listrow", os.MFD_ALLOW_SEALING)
            os.ftruncate(m, 8192)
            fcntl.fcntl(m, fcntl.F_ADD_SEALS, fcntl.F_SEAL_GROW)
            e = os.eventfd(7)
            r, w = os.pipe()
            print("fds", m, e, r, flush=True)
            sys.stdin.readline()
            """)
        let fds = producer.lines[0].split(separator: " ").dropFirst().compactMap { Int32($0) }
        let inventory = Inventory(handlers: HandlerRegistry([MemfdHandler(), ListedEventfdHandler()]),
                                  backend: PidfdBackend())
        let table = inventory.scan(pids: [producer.pid], findSharers: false, mappings: false)
        let described = inventory.scan(pids: [producer.pid], findSharers: false, mappings: false, describe: true)
        #expect(table.errors.isEmpty && described.errors.isEmpty)
        for result in [table, described] {
            let rows = Dictionary(uniqueKeysWithValues: result.entries.compactMap { e in e.origin.fd.map { ($0, e) } })
            #expect(rows[fds[0]]?.type == "memfd")
            #expect(rows[fds[0]]?.name == "listrow")
            #expect(rows[fds[0]]?.detail == "seals=grow")
            #expect(rows[fds[0]]?.size == 8192)
            #expect(rows[fds[1]]?.type == "eventfd")
            #expect(rows[fds[1]]?.name == "counter")
            #expect(rows[fds[1]]?.detail == "detail-from-description")
            #expect(rows[fds[2]] == nil, "a pipe is no handler's")
        }
        producer.send("done")
    }
}
