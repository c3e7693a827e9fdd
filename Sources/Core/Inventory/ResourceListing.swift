// SPDX-License-Identifier: Apache-2.0
/// How `adopt list` presents a handler's resources: optional, and apart
/// from the `ResourceHandler` contract. A handler that does not conform
/// gets an empty DETAIL column and per-type totals only, and no rows for
/// buffers held by mappings alone.
///
/// `HandlerConformance.check` tests a handler against both contracts; a
/// handler from another package runs it in its own tests.
public protocol ResourceListing {
    /// One short column from the handler's description ("seals=shrink,grow",
    /// "0600 alice", "exporter=drm name=-").
    func listDetail(_ description: Description) -> String
    /// A description key to total sizes by, beside the per-type totals
    /// ("exporter" for dma-bufs); nil for none (the default).
    var totalsKey: String? { get }
    /// The mappings that are this handler's buffers, by path, and how
    /// their memory is counted (`MappingClaim`). Default: none, and a
    /// buffer the handler takes that a process holds by mapping only is
    /// not listed.
    var mappingClaims: [MappingClaim] { get }
    /// A row of `adopt list`: `.notMine` where `probe` would refuse the
    /// file, `.row` with its columns where it would take it, `.needsFile`
    /// when deciding takes an `AdoptedFile` (the listing then makes one,
    /// probes as usual and asks again with `file.adopted` set).
    ///
    /// The default answers `.needsFile` until `file.adopted` is set, then
    /// describes it: a handler seeing many fds answers from the cheap facts
    /// (`filesystemMagic`, `stat`, `withLink`, `seals`) at least `.notMine`,
    /// since `adopt list` asks it of every fd of every process.
    func listRow(_ file: ListedFile) -> ListedRow
}

/// What a handler adds to an `adopt list` row.
public struct ListColumns: Sendable, Equatable {
    /// The NAME column ("name" of the description); nil for none.
    public var name: String?
    /// The DETAIL column.
    public var detail: String
    /// The value of `totalsKey` ("drm" for exporter=drm); nil for none.
    public var totalsValue: String?

    public init(name: String?, detail: String, totalsValue: String? = nil) {
        self.name = name
        self.detail = detail
        self.totalsValue = totalsValue
    }
}

extension ResourceListing {
    public var totalsKey: String? { nil }

    public var mappingClaims: [MappingClaim] { [] }

    /// The columns as `description` gives them.
    public func listColumns(from description: Description) -> ListColumns {
        ListColumns(name: description.name, detail: listDetail(description),
                    totalsValue: totalsKey.flatMap { description[$0]?.text })
    }
}

extension ResourceListing where Self: ResourceHandler {
    public func listRow(_ file: ListedFile) -> ListedRow {
        guard let adopted = file.adopted else { return .needsFile }
        return probe(adopted) ? .row(listColumns(from: describe(adopted))) : .notMine
    }
}
