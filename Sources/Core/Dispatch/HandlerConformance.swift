// SPDX-License-Identifier: Apache-2.0
import CShims
import Glibc

/// Checks a handler against the `ResourceHandler` contract and, where it
/// conforms, `ResourceListing`'s, on files it should take and files it
/// should not. A handler from another package runs it in its own tests:
///
///     let problems = HandlerConformance.check(MyHandler(), takes: [mine], refuses: [other])
///     #expect(problems.isEmpty, "\(problems)")
///
/// Returns what is wrong, one sentence each; empty when nothing is.
public enum HandlerConformance {
    /// The problems of `handler` on files it should take (`mine`) and
    /// files it should refuse (`others`), and, for a `ResourceListing`,
    /// whether its `mappingClaims` match the maps paths in `mappings`.
    public static func check(_ handler: any ResourceHandler, takes mine: [AdoptedFile], refuses others: [AdoptedFile],
                             claims mappings: [String] = []) -> [String] {
        var problems: [String] = []
        let type = handler.type
        if type.isEmpty || type.contains(where: { $0 == " " || $0 == "=" || $0 == ":" }) {
            problems.append("type '\(type)' must be a non-empty word (it is what --type and JSON name)")
        }
        if handler.displayName.isEmpty { problems.append("displayName is empty") }

        for file in mine {
            let before = FileState(file)
            if !handler.probe(file) { problems.append("probe refused \(file.source) (\(file.link)), which it should take") }
            if !handler.probe(file) { problems.append("probe of \(file.source) gave another answer the second time") }
            if let change = before.change(to: FileState(file)) {
                problems.append("probe changed \(file.source): \(change) (probe must have no side effects)")
            }
            let description = handler.describe(file)
            let keys = description.fields.map(\.key)
            for key in keys where Description.coreKeys.contains(key) {
                problems.append("describe set the library's key '\(key)' on \(file.source)")
            }
            if !keys.contains("name") { problems.append("describe gave no \"name\" field for \(file.source) (.null if it has none)") }
            if Set(keys).count != keys.count { problems.append("describe gave a key twice for \(file.source)") }
            if let listing = handler as? any ResourceListing {
                problems += rowProblems(listing, handler, file, description)
            }
        }
        for file in others {
            if handler.probe(file) { problems.append("probe took \(file.source) (\(file.link)), which is not its kind") }
            if let listing = handler as? any ResourceListing, case .row = listing.listRow(ListedFile(file)) {
                problems.append("listRow gave a row for \(file.source), which probe refuses")
            }
        }
        if let listing = handler as? any ResourceListing {
            let claims = MappingClaims(HandlerRegistry([handler]))
            for path in mappings where claims.claim(path: path) == nil {
                problems.append("no mapping claim matches '\(path)'")
            }
            if !listing.mappingClaims.isEmpty && mappings.isEmpty {
                problems.append("mappingClaims given but no mapping path to check them against")
            }
        }
        return problems
    }

    /// What `adopt list` shows must not depend on how it asked: the row
    /// from `listRow` equals the columns of the description.
    private static func rowProblems(_ listing: any ResourceListing, _ handler: any ResourceHandler, _ file: AdoptedFile,
                                    _ description: Description) -> [String] {
        let described = listing.listColumns(from: description)
        switch listing.listRow(ListedFile(file)) {
        case .notMine:
            return ["listRow said .notMine for \(file.source), which probe takes"]
        case .needsFile:
            return []  // the listing then describes: the same columns by construction
        case .row(let columns):
            return columns == described ? [] : ["listRow's columns for \(file.source) (\(columns)) differ from the description's (\(described))"]
        }
    }

    /// What a probe must not change: the offset, status flags and seals.
    private struct FileState: Equatable {
        let offset: Int64
        let flags: Int32
        let seals: Int32

        init(_ file: AdoptedFile) {
            let fd = file.hasDescriptor ? file.descriptor.rawValue : -1
            offset = fd >= 0 ? Int64(lseek(fd, 0, SEEK_CUR)) : 0
            flags = fd >= 0 ? rfd_get_fl(fd) : 0
            seals = fd >= 0 ? rfd_get_seals(fd) : 0
        }

        func change(to after: FileState) -> String? {
            if after.offset != offset { return "the file offset moved from \(offset) to \(after.offset)" }
            if after.flags != flags { return "the status flags changed" }
            if after.seals != seals { return "the seals changed" }
            return nil
        }
    }
}
