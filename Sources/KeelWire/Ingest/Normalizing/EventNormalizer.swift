import Crypto
import HTTPTypes
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

/// Makes incoming records canonical: one rule for every format.
///
/// - Known aliases are mapped (`ts`/`time`/`@timestamp` → `timestamp`, `severity`/`lvl` → `level`, `msg` →
///   `message`, `req_id`/`correlation_id` → `request_id`, `traceId` → `trace_id` …).
/// - A member that names a canonical field and fits it (``FieldCatalogue/accepts(_:_:)``) becomes that field; every
///   other member goes under `context`, as the library does with metadata. Audit-chain fields (`seq`, `hash` …)
///   describe the sender's own file and go under `context` too.
/// - `schema_version` is the server's; a sender's equal value is dropped, another goes under `context`.
/// - `tenant_id` is the tenant of the token that sent the record; a different value sent in the record is kept under
///   `context`, never used.
/// - Everything but the envelope (`timestamp`, `level`, `event_id`, `tenant_id` …) is redacted by the library's
///   engine, and `redacted` lists what was removed.
/// - A record without a usable `event_id` gets one derived from its content (a UUID whose first 48 bits are the
///   event's millisecond, so ids still sort by time).
///
/// It works on text, not on a tree: ``JSONObjectScanner`` finds the members' byte ranges (validating everything),
/// the members that are not envelope are copied into one object in canonical order, the library's
/// ``Redactor/redactJSON(_:to:maxDepth:)`` redacts that object in one pass, and the line is assembled from the
/// envelope and the redacted values. Values are never parsed into `String`s except the few the store indexes.
public struct EventNormalizer: Sendable {
    public let redactor: Redactor
    public let limits: IngestLimits

    public init(redactor: Redactor, limits: IngestLimits) {
        self.redactor = redactor
        self.limits = limits
    }

    /// Member names other producers use for canonical fields.
    static let aliases: [String: FieldID] = [
        "ts": .timestamp, "time": .timestamp, "@timestamp": .timestamp, "timestamp": .timestamp,
        "severity": .level, "lvl": .level, "loglevel": .level, "log.level": .level, "levelname": .level,
        "severity_text": .level, "level": .level,
        "msg": .message, "message": .message,
        "req_id": .requestID, "requestId": .requestID, "requestID": .requestID, "request_id": .requestID,
        "correlation_id": .requestID, "correlationId": .requestID, "x_request_id": .requestID,
        "traceId": .traceID, "trace.id": .traceID, "traceID": .traceID, "trace_id": .traceID,
        "spanId": .spanID, "span.id": .spanID, "spanID": .spanID, "span_id": .spanID,
        "service.name": .service, "service_name": .service,
        "userId": .userID, "user.id": .userID, "runId": .runID, "tenantId": .tenantID,
        "error_message": .error,
    ]

    /// Each field's `"name":`, by raw value.
    static let keys: [[UInt8]] = FieldCatalogue.fields.map { Array("\"\($0.name)\":".utf8) }

    static let schemaVersionText = Array(String(FieldCatalogue.schemaVersion).utf8)

    /// The store's id field of each canonical field, by raw value.
    static let idFields: [IDField?] = FieldCatalogue.fields.map { IDField(rawValue: $0.name) }

    /// Canonical fields a sender cannot set (audit-chain fields describe the sender's own audit file), by raw value.
    static let senderCannotSet: [Bool] = FieldID.allCases.map { [.schemaVersion, .seq, .prevHash, .hash, .redacted].contains($0) }

    /// The envelope, which the server validates or makes itself and does not redact, by raw value.
    static let envelope: [Bool] = FieldID.allCases.map {
        [.timestamp, .level, .schemaVersion, .eventID, .tenantID, .redacted, .context].contains($0)
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
    /// than acknowledged and then dropped by the next retention run.
    public func normalize(_ records: [IncomingRecord], tenant: String, now: Int64, oldest: Int64? = nil) -> NormalizedRecords {
        var work = Workspace()
        defer { work.deallocate() }
        var batch = NormalizedRecords()
        batch.events.reserveCapacity(records.count)
        let window = TimeWindow(now: now, limits: limits, retentionHorizon: oldest)
        for record in records {
            let event = record.object.withUnsafeBufferPointer { object in
                Result { () throws(IngestError) in
                    try normalize(record, object, tenant: tenant, now: now, window: window, work: &work)
                }
            }
            switch event {
            case .success(let event): batch.events.append(event)
            case .failure(let error): batch.refused.append(RecordRefusal(record.place, error))
            }
        }
        return batch
    }

    /// Where one record's pieces are kept while it is made canonical; reused from record to record.
    struct Workspace {
        /// The record's members, then a `context` object's.
        var members: [JSONObjectScanner.Member] = []
        var nested: [JSONObjectScanner.Member] = []
        /// Which member, if any, became each canonical field (by raw value).
        var chosen = [Choice](repeating: .none, count: FieldID.count)
        /// Members that go under `context`, in order.
        var context: [JSONObjectScanner.Member] = []
        /// The fields in `free`, in order, and the redacted object's members.
        var freeFields: [FieldID] = []
        var redactedMembers: [JSONObjectScanner.Member] = []
        var free = OutputBuffer(capacity: 1024)
        var redacted = OutputBuffer(capacity: 1024)
        var line = OutputBuffer(capacity: 1024)

        func deallocate() {
            free.deallocate()
            redacted.deallocate()
            line.deallocate()
        }
    }

    enum Choice {
        case none
        case member(JSONObjectScanner.Member)
        /// A plain string sent as `error`: the error's message.
        case errorMessage(JSONObjectScanner.Member)
    }

    private func normalize(
        _ record: IncomingRecord, _ object: UnsafeBufferPointer<UInt8>, tenant: String, now: Int64, window: TimeWindow,
        work: inout Workspace
    ) throws(IngestError) -> StoredEvent {
        work.members.removeAll(keepingCapacity: true)
        try Self.scan(object, maxDepth: limits.maxDepth, into: &work.members)
        let (timestamp, level) = try choose(object, tenant: tenant, work: &work)
        let time = timestamp ?? record.envelopeTimestamp ?? now
        try window.check(time)
        var sentID: String?
        if case .member(let member) = work.chosen[Int(FieldID.eventID.rawValue)] {
            sentID = Self.string(object, member.value, escaped: member.valueEscaped)
        }
        let eventID = sentID.flatMap { Self.isUsableID($0) ? $0 : nil } ?? Self.derivedID(record.identity, time: time)
        Self.writeFree(object, work: &work)
        let types = try redactFree(work: &work)
        return try assemble(time: time, level: level, eventID: eventID, tenant: tenant, types: types, work: &work)
    }

    /// The members of the object in `bytes`, or the refusal that says what is wrong with it.
    static func scan(
        _ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int, into members: inout [JSONObjectScanner.Member]
    ) throws(IngestError) {
        do throws(JSONObjectScanner.Failure) {
            try JSONObjectScanner.members(of: bytes, maxDepth: maxDepth, into: &members)
        } catch {
            let reason =
                switch error.reason {
                case .invalidJSON: "invalid_json"
                case .invalidUTF8: "invalid_utf8"
                case .tooDeep: "too_deep"
                case .notAnObject: "not_an_object"
                }
            throw .badRequest(reason, error.description)
        }
    }

    /// Decides what each member of the record is: a canonical field (in `work.chosen`), part of the envelope
    /// (returned: the time and level it gives), or `context` (in `work.context`, in order).
    private func choose(
        _ object: UnsafeBufferPointer<UInt8>, tenant: String, work: inout Workspace
    ) throws(IngestError) -> (timestamp: Int64?, level: String) {
        for slot in work.chosen.indices { work.chosen[slot] = .none }
        work.context.removeAll(keepingCapacity: true)
        var timestamp: Int64?
        var level = "INFO"
        for member in work.members {
            let key = UnsafeBufferPointer(rebasing: object[member.key])
            let field: FieldID?
            var name: String?
            if member.keyEscaped {
                name = Self.string(object, member.key.lowerBound - 1..<member.key.upperBound + 1, escaped: true)
                field = FieldCatalogue.field(named: name!) ?? Self.aliases[name!]
            } else {
                field = FieldCatalogue.field(utf8: key) ?? Self.aliases[String(decoding: key, as: UTF8.self)]
            }
            guard let field else {
                work.context.append(member)
                continue
            }
            let slot = Int(field.rawValue)
            switch field {
            case .timestamp:
                guard timestamp == nil, let time = Self.timestamp(object, member) else {
                    if (name ?? String(decoding: key, as: UTF8.self)) == "timestamp" {
                        let text = String(decoding: UnsafeBufferPointer(rebasing: object[member.value]), as: UTF8.self)
                        throw .badRequest("invalid_timestamp", "invalid timestamp: \(text.prefix(64))")
                    }
                    work.context.append(member)
                    continue
                }
                timestamp = time
            case .level:
                if let name = Self.levelName(Self.scalar(object, member)) { level = name } else { work.context.append(member) }
            case .context:
                guard member.kind == .object else {
                    work.context.append(member)
                    continue
                }
                // The sender's own context: its members join the others under `context`.
                work.nested.removeAll(keepingCapacity: true)
                let inner = UnsafeBufferPointer(rebasing: object[member.value])
                try Self.scan(inner, maxDepth: limits.maxDepth, into: &work.nested)
                let base = member.value.lowerBound
                for var nested in work.nested {
                    nested.key = nested.key.lowerBound + base..<nested.key.upperBound + base
                    nested.value = nested.value.lowerBound + base..<nested.value.upperBound + base
                    work.context.append(nested)
                }
            case .schemaVersion:
                // The version this server writes, sent again (a Keel line re-sent), says nothing new; another goes
                // under `context`.
                let same = member.kind == .number && object[member.value].elementsEqual(Self.schemaVersionText)
                if !same { work.context.append(member) }
            case .tenantID:
                let same =
                    member.kind == .string && !member.valueEscaped
                    && tenant.utf8.elementsEqual(object[member.value.lowerBound + 1..<member.value.upperBound - 1])
                    || member.kind == .string && member.valueEscaped
                        && Self.string(object, member.value, escaped: true) == tenant
                if !same { work.context.append(member) }
            case .error:
                // A plain error string is the error's message.
                guard case .none = work.chosen[slot] else {
                    work.context.append(member)
                    continue
                }
                if member.kind == .string {
                    work.chosen[slot] = .errorMessage(member)
                } else if Self.accepts(.error, member, in: object) {
                    work.chosen[slot] = .member(member)
                } else {
                    work.context.append(member)
                }
            default:
                if case .none = work.chosen[slot], !Self.senderCannotSet[slot], Self.accepts(field, member, in: object) {
                    work.chosen[slot] = .member(member)
                } else {
                    work.context.append(member)
                }
            }
        }
        return (timestamp, level)
    }

    /// Writes, into `work.free`, one object of everything the sender wrote outside the envelope — fields in canonical
    /// order, then `context` — and lists its fields in `work.freeFields`.
    private static func writeFree(_ object: UnsafeBufferPointer<UInt8>, work: inout Workspace) {
        work.free.removeAll()
        work.freeFields.removeAll(keepingCapacity: true)
        work.free.append(UInt8(ascii: "{"))
        for field in FieldID.allCases where !Self.envelope[Int(field.rawValue)] {
            let start = work.free.count
            if start > 1 { work.free.append(UInt8(ascii: ",")) }
            switch work.chosen[Int(field.rawValue)] {
            case .member(let member):
                Self.keys[Int(field.rawValue)].withUnsafeBufferPointer { work.free.append($0) }
                work.free.append(UnsafeBufferPointer(rebasing: object[member.value]))
            case .errorMessage(let member):
                work.free.append("\"error\":{\"message\":")
                work.free.append(UnsafeBufferPointer(rebasing: object[member.value]))
                work.free.append(UInt8(ascii: "}"))
            case .none:
                guard field == .event else {
                    work.free.truncate(to: start)
                    continue
                }
                work.free.append("\"event\":\"log\"")
            }
            work.freeFields.append(field)
        }
        if !work.context.isEmpty {
            if work.free.count > 1 { work.free.append(UInt8(ascii: ",")) }
            work.free.append("\"context\":{")
            for (n, member) in work.context.enumerated() {
                if n > 0 { work.free.append(UInt8(ascii: ",")) }
                work.free.append(UnsafeBufferPointer(rebasing: object[member.key.lowerBound - 1..<member.key.upperBound + 1]))
                work.free.append(UInt8(ascii: ":"))
                work.free.append(UnsafeBufferPointer(rebasing: object[member.value]))
            }
            work.free.append(UInt8(ascii: "}"))
            work.freeFields.append(.context)
        }
        work.free.append(UInt8(ascii: "}"))
    }

    /// Redacts `work.free` into `work.redacted` and finds the redacted object's members; returns what was removed.
    private func redactFree(work: inout Workspace) throws(IngestError) -> [RedactionType] {
        work.redacted.removeAll()
        let types: [RedactionType]
        // Neither buffer is resized while the other is read: their bytes stay where they are.
        let free = work.free.withUnsafeBytes { $0 }
        do throws(JSONParser.Error) {
            types = try redactor.redactJSON(free, to: &work.redacted, maxDepth: limits.maxDepth + 2)
        } catch {
            throw .badRequest("invalid_event", "the event could not be redacted (\(error.description))")
        }
        work.redactedMembers.removeAll(keepingCapacity: true)
        let redacted = work.redacted.withUnsafeBytes { $0.bindMemory(to: UInt8.self) }
        do throws(JSONObjectScanner.Failure) {
            try JSONObjectScanner.members(of: redacted, maxDepth: limits.maxDepth + 2, into: &work.redactedMembers)
        } catch {
            throw .badRequest("invalid_event", "the event could not be redacted (\(error.description))")
        }
        guard work.redactedMembers.count == work.freeFields.count else {
            throw .badRequest("invalid_event", "the event could not be redacted")
        }
        return types
    }

    /// The canonical line, in the library's key order: the envelope made here, the rest as redacted; and the
    /// fields the store indexes, read from it.
    private func assemble(
        time: Int64, level: String, eventID: String, tenant: String, types: [RedactionType], work: inout Workspace
    ) throws(IngestError) -> StoredEvent {
        // `work.redacted` is not written while `redacted` is read.
        let redacted = work.redacted.withUnsafeBytes { $0.bindMemory(to: UInt8.self) }
        work.line.removeAll()
        work.line.append("{\"timestamp\":\"")
        work.line.appendRFC3339(Timestamp(microsecondsSinceEpoch: time))
        work.line.append("\",\"level\":")
        work.line.appendJSONString(level)
        var next = 0
        var message = "", event: String?, errorCode: String?
        var ids = EventIDs()
        for field in FieldID.allCases where field != .timestamp && field != .level {
            let free = next < work.freeFields.count && work.freeFields[next] == field
            guard free || field == .schemaVersion || field == .eventID || field == .tenantID || field == .redacted && !types.isEmpty
            else { continue }
            work.line.append(UInt8(ascii: ","))
            Self.keys[Int(field.rawValue)].withUnsafeBufferPointer { work.line.append($0) }
            switch field {
            case _ where free:
                let member = work.redactedMembers[next]
                next += 1
                work.line.append(UnsafeBufferPointer(rebasing: redacted[member.value]))
                // The fields the store indexes, as text.
                guard member.kind == .string else { continue }
                switch field {
                case .message: message = Self.string(redacted, member.value, escaped: member.valueEscaped)
                case .event: event = Self.string(redacted, member.value, escaped: member.valueEscaped)
                case .errorCode: errorCode = Self.string(redacted, member.value, escaped: member.valueEscaped)
                case .requestID, .traceID, .runID, .userID:
                    let id = Self.string(redacted, member.value, escaped: member.valueEscaped)
                    if !id.isEmpty, let key = Self.idFields[Int(field.rawValue)] { ids[key] = id }
                default: break
                }
            case .schemaVersion:
                Self.schemaVersionText.withUnsafeBufferPointer { work.line.append($0) }
            case .eventID:
                work.line.appendJSONString(eventID)
            case .tenantID:
                work.line.appendJSONString(tenant)
            default:  // .redacted
                work.line.append(UInt8(ascii: "["))
                for (n, type) in types.enumerated() {
                    if n > 0 { work.line.append(UInt8(ascii: ",")) }
                    work.line.appendJSONString(type.name)
                }
                work.line.append(UInt8(ascii: "]"))
            }
        }
        work.line.append(UInt8(ascii: "}"))
        if work.line.count > limits.maxLineBytes {
            throw .tooLarge("line_too_long", "an event is \(work.line.count) bytes once canonical; the limit is \(limits.maxLineBytes)")
        }
        return StoredEvent(
            eventID: eventID, timestamp: time, tenant: tenant, level: StoredEvent.levelRank(level),
            event: event, errorCode: errorCode, ids: ids, message: message,
            line: work.line.withUnsafeBytes { String(decoding: $0, as: UTF8.self) })
    }
}
