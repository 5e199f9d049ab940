import Keel
public import KeelStore

/// The times an event may carry to be stored: not before ``IngestLimits/oldestTimestamp`` (a broken clock or a unit
/// mistake), not before its tenant's retention horizon (the next retention run would delete it, so it is refused
/// rather than acknowledged and lost), and not more than ``IngestLimits/maxFutureSkew`` ahead of the server's clock.
struct TimeWindow {
    var floor: Int64
    var retentionHorizon: Int64?
    var newest: Int64
    var skewSeconds: Int64

    init(now: Int64, limits: IngestLimits, retentionHorizon: Int64?) {
        floor = limits.oldestTimestamp
        self.retentionHorizon = retentionHorizon
        skewSeconds = limits.maxFutureSkew.components.seconds
        // The configuration's skew is trusted, but still saturates rather than traps.
        let skew = skewSeconds.multipliedReportingOverflow(by: 1_000_000)
        let newest = now.addingReportingOverflow(skew.overflow ? .max : skew.partialValue)
        self.newest = newest.overflow ? .max : newest.partialValue
    }

    func check(_ time: Int64) throws(IngestError) {
        if time > newest {
            throw .badRequest(
                "future_timestamp", "timestamp \(Timestamp(microsecondsSinceEpoch: time)) is more than \(skewSeconds) s ahead of the server's clock")
        }
        if time < floor {
            throw .badRequest("too_old", "timestamp \(Timestamp(microsecondsSinceEpoch: time)) is before \(Timestamp(microsecondsSinceEpoch: floor))")
        }
        if let retentionHorizon, time < retentionHorizon {
            throw .badRequest(
                "beyond_retention",
                "timestamp \(Timestamp(microsecondsSinceEpoch: time)) is older than the tenant's retention (\(Timestamp(microsecondsSinceEpoch: retentionHorizon)))")
        }
    }
}

/// What the normaliser made of a request's records: the canonical events to store, and the records it refused.
public struct NormalizedRecords: Sendable {
    public var events: [StoredEvent] = []
    public var refused: [RecordRefusal] = []
}
