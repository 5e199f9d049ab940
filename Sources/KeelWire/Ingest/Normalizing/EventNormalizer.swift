public import Keel
public import KeelStore

/// One record as a producer sent it, before it is made canonical.
public struct IncomingRecord: Sendable {
    /// The text of one JSON object: an NDJSON line as it arrived (a slice of the request body, not a copy), or what
    /// a Loki or OTLP decoder made of an entry (a JSON line plus its labels, a record's attributes).
    public var object: ArraySlice<UInt8>
    /// The time the format carries outside the object (a Loki entry's, an OTLP record's), in microseconds: used
    /// when the object has none.
    public var envelopeTimestamp: Int64?
    /// A stable text of what was sent: when the record has no `event_id`, one is derived from it, so a retried
    /// batch gets the same ids and is not stored twice.
    public var identity: ArraySlice<UInt8>
    /// Where the record is in its request, for refusals that say where.
    public var place: RecordPlace

    public init(
        object: ArraySlice<UInt8>, envelopeTimestamp: Int64? = nil, identity: ArraySlice<UInt8>, place: RecordPlace = .record(1)
    ) {
        self.object = object
        self.envelopeTimestamp = envelopeTimestamp
        self.identity = identity
        self.place = place
    }

    /// A record from parsed members (the decoders of Loki and OTLP build these).
    public init(
        members: [(key: String, value: JSONValue)], envelopeTimestamp: Int64? = nil, identity: [UInt8], place: RecordPlace = .record(1)
    ) {
        var text = OutputBuffer(capacity: 256)
        defer { text.deallocate() }
        JSONValue.object(members).write(to: &text)
        self.init(object: text.bytes[...], envelopeTimestamp: envelopeTimestamp, identity: identity[...], place: place)
    }
}

/// Makes a request's records canonical for `keel serve`: the library's ``ForeignRecordNormalizer`` (the one rule
/// every ingest format and `keel pipe` share), the tenant of the token that sent them, and the server's time window
/// (``TimeWindow``).
public struct EventNormalizer: Sendable {
    public let redactor: Redactor
    public let limits: IngestLimits
    let foreign: ForeignRecordNormalizer

    public init(redactor: Redactor, limits: IngestLimits) {
        self.redactor = redactor
        self.limits = limits
        foreign = ForeignRecordNormalizer(
            redactor: redactor, rules: .init(maxDepth: limits.maxDepth, maxLineBytes: limits.maxLineBytes))
    }

    /// The canonical event of `record`, for `tenant`, received at `now` (microseconds since the epoch), or why it
    /// is refused.
    public func normalize(_ record: IncomingRecord, tenant: String, now: Int64, oldest: Int64? = nil) throws(IngestError) -> StoredEvent {
        let batch = normalize([record], tenant: tenant, now: now, oldest: oldest)
        if let refusal = batch.refused.first { throw refusal.error }
        return batch.events[0]
    }

    /// The canonical events of a request's records, and the records refused (each with its place and reason).
    /// `oldest` (microseconds since the epoch) is the tenant's retention horizon: older events are refused rather
    /// than acknowledged and then dropped by the next retention run. Without `readingFields` (for a store whose
    /// appends do not read them: ``LogStore/appendReadsEventFields``), each event's message, event name, error code
    /// and ids are left to be read from its line.
    public func normalize(
        _ records: [IncomingRecord], tenant: String, now: Int64, oldest: Int64? = nil, readingFields: Bool = true
    ) -> NormalizedRecords {
        var work = ForeignRecordNormalizer.Workspace()
        var batch = NormalizedRecords()
        batch.events.reserveCapacity(records.count)
        let window = TimeWindow(now: now, limits: limits, retentionHorizon: oldest)
        for record in records {
            do throws(IngestError) {
                batch.events.append(
                    try normalize(record, tenant: tenant, now: now, window: window, readingFields: readingFields, work: &work))
            } catch {
                batch.refused.append(RecordRefusal(record.place, error))
            }
        }
        return batch
    }

    private func normalize(
        _ record: IncomingRecord, tenant: String, now: Int64, window: TimeWindow, readingFields: Bool,
        work: inout ForeignRecordNormalizer.Workspace
    ) throws(IngestError) -> StoredEvent {
        let normalized: ForeignRecordNormalizer.Normalized
        do throws(ForeignRecordNormalizer.Refusal) {
            normalized = try record.object.withUnsafeBufferPointer { object throws(ForeignRecordNormalizer.Refusal) in
                try record.identity.withUnsafeBufferPointer { identity throws(ForeignRecordNormalizer.Refusal) in
                    try foreign.normalize(
                        object, envelopeTimestamp: record.envelopeTimestamp, identity: identity, tenant: tenant,
                        now: now, indexing: readingFields, work: &work)
                }
            }
        } catch {
            throw error.isTooLarge ? .tooLarge(error.reason, error.message) : .badRequest(error.reason, error.message)
        }
        try window.check(normalized.time)
        let line = work.line.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
        guard readingFields else {
            return StoredEvent(eventID: normalized.eventID, timestamp: normalized.time, tenant: tenant, level: normalized.level.rank, line: line)
        }
        var ids = EventIDs()
        ids[.requestID] = normalized.requestID
        ids[.traceID] = normalized.traceID
        ids[.runID] = normalized.runID
        ids[.userID] = normalized.userID
        return StoredEvent(
            eventID: normalized.eventID, timestamp: normalized.time, tenant: tenant, level: normalized.level.rank,
            event: normalized.event, errorCode: normalized.errorCode, ids: ids, message: normalized.message, line: line)
    }
}
