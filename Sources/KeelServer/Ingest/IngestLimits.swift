/// What one ingest request may hold. Anything over a limit refuses the whole request with a 4xx and stores nothing.
public struct IngestLimits: Sendable {
    /// The body as sent (compressed or not): 413 above it.
    public var maxBodyBytes = 10 << 20
    /// The body once decompressed: 413 above it.
    public var maxDecompressedBytes = 64 << 20
    /// Decompressed size over compressed size: a bomb is refused (413) long before it fills memory.
    public var maxInflateRatio = 100
    /// One NDJSON line or one log line of a Loki or OTLP record: 413 above it.
    public var maxLineBytes = 256 << 10
    /// Events in one request: 413 above it.
    public var maxEventsPerRequest = 100_000
    /// Labels of one Loki stream, and their names' and values' lengths (Loki's own defaults): 400 above them.
    public var maxLabels = 32
    public var maxLabelNameBytes = 1024
    public var maxLabelValueBytes = 2048
    /// Nesting of JSON objects and arrays in one event: 400 above it.
    public var maxDepth = 32
    /// How far ahead of the server's clock an event's timestamp may be (Loki's creation grace period): 400 beyond.
    public var maxFutureSkew: Duration = .seconds(600)

    public init() {}

    /// Refuses a request once its decoder has found more than ``maxEventsPerRequest`` events (each format checks
    /// as it goes, so an oversized request stops early).
    func check(eventCount count: Int) throws(IngestError) {
        guard count <= maxEventsPerRequest else {
            throw .tooLarge("too_many_events", "more than \(maxEventsPerRequest) events in one request")
        }
    }
}
