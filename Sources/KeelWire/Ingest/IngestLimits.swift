/// What one ingest request may hold. The body's own limits (size, decompressed size, events) refuse the whole request
/// with a 4xx and store nothing; a record's (its line, its labels, its time) refuse that record alone.
public struct IngestLimits: Sendable {
    /// The body as sent (compressed or not): 413 above it.
    public var maxBodyBytes = 10 << 20
    /// The body once decompressed: 413 above it.
    public var maxDecompressedBytes = 64 << 20
    /// Decompressed size over compressed size: a bomb is refused (413) long before it fills memory.
    public var maxInflateRatio = 100
    /// One NDJSON line or one log line of a Loki or OTLP record: that record is refused above it (`line_too_long`).
    public var maxLineBytes = 256 << 10
    /// Events in one request: 413 above it.
    public var maxEventsPerRequest = 100_000
    /// Labels of one Loki stream, and their names' and values' lengths (Loki's own defaults): the stream's entries
    /// are refused above them.
    public var maxLabels = 32
    public var maxLabelNameBytes = 1024
    public var maxLabelValueBytes = 2048
    /// Nesting of JSON objects and arrays in one event: that event is refused above it (a Loki or OTLP body nested
    /// deeper is refused whole).
    public var maxDepth = 32
    /// How far ahead of the server's clock an event's timestamp may be (Loki's creation grace period): refused beyond.
    public var maxFutureSkew: Duration = .seconds(600)
    /// The oldest timestamp accepted at all (2000-01-01T00:00:00Z, in microseconds): anything earlier is a broken
    /// clock or a unit mistake, and is refused (`too_old`). Events older than their tenant's retention are refused
    /// too (`beyond_retention`): they would be deleted by the next retention run, so they are never acknowledged.
    public var oldestTimestamp: Int64 = 946_684_800_000_000

    public init() {}

    /// Refuses a request once its decoder has found more than ``maxEventsPerRequest`` events (each format checks
    /// as it goes, so an oversized request stops early).
    package func check(eventCount count: Int) throws(IngestError) {
        guard count <= maxEventsPerRequest else {
            throw .tooLarge("too_many_events", "more than \(maxEventsPerRequest) events in one request")
        }
    }
}
