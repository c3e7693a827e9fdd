/// How `adopt list` presents a handler's resources: optional, and apart
/// from the `ResourceHandler` contract. A handler that does not conform
/// gets an empty DETAIL column and per-type totals only.
public protocol ResourceListing {
    /// One short column from the handler's description ("seals=shrink,grow",
    /// "0600 alice", "exporter=drm name=-").
    func listDetail(_ description: Description) -> String
    /// A description key to total sizes by, beside the per-type totals
    /// ("exporter" for dma-bufs); nil for none.
    var totalsKey: String? { get }
    /// A row's NAME, DETAIL and totals value straight from the file: what
    /// `describe` then `listDetail` give, without building the whole
    /// description. `adopt list` calls it for every fd it shows (a
    /// description is built only for `--json`), so a handler seeing many
    /// fds implements it from the cheap facts; the default describes.
    func listColumns(_ file: AdoptedFile) -> ListColumns
    /// Probe and columns in one, from the listing's view of the fd, with
    /// no `AdoptedFile` made: `.notMine` where `probe` would refuse the
    /// file, `.row` where it would take it. The default, `.needsFile`,
    /// makes the listing build an `AdoptedFile` and probe as usual; a
    /// handler seeing many fds answers at least `.notMine` from the cheap
    /// facts. Not used for `--json`, which describes every row.
    func listRow(_ file: ListedFile) -> ListedRow
}

/// What a handler adds to an `adopt list` row.
public struct ListColumns: Sendable {
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

    public func listRow(_ file: ListedFile) -> ListedRow { .needsFile }

    /// The columns as `description` gives them (the default `listColumns`).
    public func listColumns(from description: Description) -> ListColumns {
        ListColumns(name: description.name, detail: listDetail(description),
                           totalsValue: totalsKey.flatMap { description[$0]?.text })
    }
}

extension ResourceListing where Self: ResourceHandler {
    public func listColumns(_ file: AdoptedFile) -> ListColumns {
        listColumns(from: describe(file))
    }
}
