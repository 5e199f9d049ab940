/// How a sink that sends lines elsewhere is doing — a network sink and its spool: what the receiver acknowledged,
/// what was tried again or given up, and what still waits. Read from ``Diagnostics/deliveries``, beside Keel's own
/// counters, for a health endpoint or a status page.
public struct DeliveryStatus: Sendable, Equatable {
    /// The sink's ``LogSink/name`` (`ship:loki:logs.example.com`).
    public var sink: String
    /// Lines the receiver acknowledged.
    public var sent: Int
    /// Attempts that failed and were tried again.
    public var retried: Int
    /// Lines given up: refused by the receiver, or pushed out of a full buffer.
    public var dropped: Int
    /// Lines the receiver refused that are kept aside (audit and cost), not dropped.
    public var deadLettered: Int
    /// Lines the receiver said it already had (sent again after a lost acknowledgement).
    public var duplicates: Int
    /// Lines written to the sink and not yet acknowledged.
    public var waitingLines: Int
    /// Bytes the sink holds for them (its spool on disk).
    public var bufferedBytes: Int
    /// How long the oldest waiting line has waited, in milliseconds (`nil`: none waits, or it is older than the
    /// process).
    public var oldestWaitingMilliseconds: Int?

    public init(
        sink: String, sent: Int = 0, retried: Int = 0, dropped: Int = 0, deadLettered: Int = 0, duplicates: Int = 0, waitingLines: Int = 0,
        bufferedBytes: Int = 0, oldestWaitingMilliseconds: Int? = nil
    ) {
        self.sink = sink
        self.sent = sent
        self.retried = retried
        self.dropped = dropped
        self.deadLettered = deadLettered
        self.duplicates = duplicates
        self.waitingLines = waitingLines
        self.bufferedBytes = bufferedBytes
        self.oldestWaitingMilliseconds = oldestWaitingMilliseconds
    }
}
