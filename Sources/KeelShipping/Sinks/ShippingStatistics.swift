/// What a ``ShippingSink`` has done since it started.
public struct ShippingStatistics: Sendable, Equatable {
    /// Lines the server acknowledged.
    public var sent = 0
    /// Attempts that failed and were tried again (network errors, timeouts, 429, 5xx).
    public var retried = 0
    /// Lines dropped: refused by the server with a 4xx (ops), or pushed out of a full spool.
    public var dropped = 0
    /// Audit and cost lines the server refused with a 4xx, kept in the spool's `dead-letter.ndjson`.
    public var deadLettered = 0
    /// Bytes of the spool found damaged when it was opened — a record torn by a crash mid-write, cut off; a damaged
    /// record in an older segment and what follows it in that segment — and not sent.
    public var spoolDamagedBytes = 0
    /// Lines `keel serve` answered it already had (a batch sent again after its acknowledgement was lost, or after
    /// a crash before the spool's checkpoint): stored once, counted here (also in ``sent``).
    public var duplicates = 0
}
