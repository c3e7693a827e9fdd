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
}

extension ResourceListing {
    public var totalsKey: String? { nil }
}
