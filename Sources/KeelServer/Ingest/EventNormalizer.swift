import Crypto
public import Keel
public import KeelStore

/// One record as a producer sent it, before it is made canonical.
public struct IncomingRecord: Sendable {
    /// The record's own members: a parsed NDJSON line, a Loki line that is JSON (plus its labels), or an OTLP
    /// record's attributes.
    public var members: [(key: String, value: JSONValue)]
    /// The time the format carries outside the members (a Loki entry's, an OTLP record's), in microseconds: used
    /// when the members have none.
    public var envelopeTimestamp: Int64?
    /// A stable text of what was sent: when the record has no `event_id`, one is derived from it, so a retried
    /// batch gets the same ids and is not stored twice.
    public var identity: [UInt8]

    public init(members: [(key: String, value: JSONValue)], envelopeTimestamp: Int64? = nil, identity: [UInt8]) {
        self.members = members
        self.envelopeTimestamp = envelopeTimestamp
        self.identity = identity
    }
}

/// Makes incoming records canonical: one rule for every format.
///
/// - Known aliases are mapped (`ts`/`time`/`@timestamp` → `timestamp`, `severity`/`lvl` → `level`, `msg` →
///   `message`, `req_id`/`correlation_id` → `request_id`, `traceId` → `trace_id` …).
/// - A member that names a canonical field and fits it (``FieldCatalogue/accepts(_:_:)``) becomes that field; every
///   other member goes under `context`, as the library does with metadata. Audit-chain fields (`seq`, `hash` …)
///   describe the sender's own file and go under `context` too.
/// - `tenant_id` is the tenant of the token that sent the record; a different value sent in the record is kept under
///   `context`, never used.
/// - Everything but the envelope (`timestamp`, `level`, `event_id`, `tenant_id` …) is redacted by the library's
///   engine, and `redacted` lists what was removed.
/// - A record without a usable `event_id` gets one derived from its content (a UUID whose first 48 bits are the
///   event's millisecond, so ids still sort by time).
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

    /// Each field's JSON key, by raw value.
    static let keys: [String] = FieldCatalogue.fields.map(\.name)

    /// Canonical fields a sender cannot set (audit-chain fields describe the sender's own audit file), by raw value.
    static let senderCannotSet: [Bool] = FieldID.allCases.map { [.schemaVersion, .seq, .prevHash, .hash, .redacted].contains($0) }

    /// The envelope, which the server validates or makes itself and does not redact, by raw value.
    static let envelope: [Bool] = FieldID.allCases.map {
        [.timestamp, .level, .schemaVersion, .eventID, .tenantID, .redacted, .context].contains($0)
    }

    /// The canonical event of `record`, for `tenant`, received at `now` (microseconds since the epoch).
    public func normalize(_ record: IncomingRecord, tenant: String, now: Int64) throws(IngestError) -> StoredEvent {
        var out = OutputBuffer(capacity: 1024)
        defer { out.deallocate() }
        return try normalize(record, tenant: tenant, now: now, using: &out)
    }

    /// Every record of a request, or the first refusal.
    public func normalize(_ records: [IncomingRecord], tenant: String, now: Int64) throws(IngestError) -> [StoredEvent] {
        var out = OutputBuffer(capacity: 4096)
        defer { out.deallocate() }
        var events: [StoredEvent] = []
        events.reserveCapacity(records.count)
        for record in records { events.append(try normalize(record, tenant: tenant, now: now, using: &out)) }
        return events
    }

    private func normalize(
        _ record: IncomingRecord, tenant: String, now: Int64, using out: inout OutputBuffer
    ) throws(IngestError) -> StoredEvent {
        var fields = [JSONValue?](repeating: nil, count: FieldID.count)
        var context: [(key: String, value: JSONValue)] = []
        var timestamp: Int64?
        var level = "INFO"
        for (key, value) in record.members {
            // Canonical names by byte lookup; the alias table only for the other keys.
            guard let field = FieldCatalogue.field(named: key) ?? Self.aliases[key] else {
                context.append((key, value))
                continue
            }
            let slot = Int(field.rawValue)
            switch field {
            case .timestamp:
                guard timestamp == nil, let time = Self.timestamp(value) else {
                    if key == "timestamp" { throw .badRequest("invalid_timestamp", "invalid timestamp: \(value.jsonText.prefix(64))") }
                    context.append((key, value))
                    continue
                }
                timestamp = time
            case .level:
                if let name = Self.levelName(value) { level = name } else { context.append((key, value)) }
            case .context:
                if case .object(let members) = value { context += members } else { context.append((key, value)) }
            case .tenantID:
                if value.stringValue != tenant { context.append((key, value)) }
            case .error:
                // A plain error string is the error's message.
                if case .string(let message) = value, fields[slot] == nil {
                    fields[slot] = .object([("message", .string(message))])
                } else if fields[slot] == nil, FieldCatalogue.accepts(.error, value) {
                    fields[slot] = value
                } else {
                    context.append((key, value))
                }
            default:
                if fields[slot] == nil, !Self.senderCannotSet[slot], FieldCatalogue.accepts(field, value) {
                    fields[slot] = value
                } else {
                    context.append((key, value))
                }
            }
        }
        let time = timestamp ?? record.envelopeTimestamp ?? now
        if time > now + Int64(limits.maxFutureSkew.components.seconds) * 1_000_000 {
            throw .badRequest(
                "future_timestamp",
                "timestamp \(Self.rfc3339(time)) is more than \(limits.maxFutureSkew.components.seconds) s ahead of the server's clock")
        }
        let sentID = fields[Int(FieldID.eventID.rawValue)]?.stringValue
        let eventID = sentID.flatMap { Self.isUsableID($0) ? $0 : nil } ?? Self.derivedID(record.identity, time: time)
        if fields[Int(FieldID.event.rawValue)] == nil { fields[Int(FieldID.event.rawValue)] = .string("log") }

        // Everything a sender wrote is redacted; the envelope is not. The redactor keeps members in order, so its
        // answer lines up with `free`.
        var free: [(key: String, value: JSONValue)] = []
        var freeFields: [FieldID] = []
        for field in FieldID.allCases where !Self.envelope[Int(field.rawValue)] {
            if let value = fields[Int(field.rawValue)] {
                free.append((Self.keys[Int(field.rawValue)], value))
                freeFields.append(field)
            }
        }
        if !context.isEmpty {
            free.append(("context", .object(context)))
            freeFields.append(.context)
        }
        let redaction = redactor.redact(.object(free))
        guard case .object(let redacted) = redaction.value, redacted.count == freeFields.count else {
            throw .badRequest("invalid_event", "the event could not be redacted")
        }
        for (field, member) in zip(freeFields, redacted) { fields[Int(field.rawValue)] = member.value }
        fields[Int(FieldID.schemaVersion.rawValue)] = .number(String(FieldCatalogue.schemaVersion))
        fields[Int(FieldID.eventID.rawValue)] = .string(eventID)
        fields[Int(FieldID.tenantID.rawValue)] = .string(tenant)
        if redaction.changed { fields[Int(FieldID.redacted.rawValue)] = .array(redaction.types.map { .string($0.name) }) }

        // Canonical key order, as the library writes it.
        out.removeAll()
        out.append("{\"timestamp\":\"")
        out.appendRFC3339(Timestamp(microsecondsSinceEpoch: time))
        out.append("\",\"level\":")
        out.appendJSONString(level)
        for field in FieldID.allCases where field != .timestamp && field != .level {
            guard let value = fields[Int(field.rawValue)] else { continue }
            out.append(UInt8(ascii: ","))
            out.appendJSONString(Self.keys[Int(field.rawValue)])
            out.append(UInt8(ascii: ":"))
            value.write(to: &out)
        }
        out.append(UInt8(ascii: "}"))
        if out.count > limits.maxLineBytes {
            throw .tooLarge("line_too_long", "an event is \(out.count) bytes once canonical; the limit is \(limits.maxLineBytes)")
        }
        var ids: [IDField: String] = [:]
        if let id = fields[Int(FieldID.requestID.rawValue)]?.stringValue, !id.isEmpty { ids[.requestID] = id }
        if let id = fields[Int(FieldID.traceID.rawValue)]?.stringValue, !id.isEmpty { ids[.traceID] = id }
        if let id = fields[Int(FieldID.runID.rawValue)]?.stringValue, !id.isEmpty { ids[.runID] = id }
        if let id = fields[Int(FieldID.userID.rawValue)]?.stringValue, !id.isEmpty { ids[.userID] = id }
        return StoredEvent(
            eventID: eventID, timestamp: time, tenant: tenant, level: StoredEvent.levelRank(level),
            event: fields[Int(FieldID.event.rawValue)]?.stringValue, errorCode: fields[Int(FieldID.errorCode.rawValue)]?.stringValue,
            ids: ids, message: fields[Int(FieldID.message.rawValue)]?.stringValue ?? "",
            line: out.withUnsafeBytes { String(decoding: $0, as: UTF8.self) })
    }

    /// RFC 3339 text, or seconds / milliseconds / microseconds / nanoseconds since the epoch (told apart by size).
    static func timestamp(_ value: JSONValue) -> Int64? {
        switch value {
        case .string(let text):
            if let time = Timestamp(rfc3339: text) { return time.microsecondsSinceEpoch }
            return Double(text).flatMap(epoch)
        case .number(let text):
            return Double(text).flatMap(epoch)
        default:
            return nil
        }
    }

    private static func epoch(_ number: Double) -> Int64? {
        guard number.isFinite, number > 0 else { return nil }
        switch number {
        case ..<1e11: return Int64(number * 1e6)  // seconds
        case ..<1e14: return Int64(number * 1e3)  // milliseconds
        case ..<1e17: return Int64(number)  // microseconds
        case ..<1e20: return Int64(number / 1e3)  // nanoseconds
        default: return nil
        }
    }

    /// The canonical name of a level given as a name (any case, with common synonyms) or as a pino / bunyan number.
    static func levelName(_ value: JSONValue) -> String? {
        switch value {
        case .string(let text):
            switch text.uppercased() {
            case "TRACE", "TRC": return "TRACE"
            case "DEBUG", "DBG", "FINE": return "DEBUG"
            case "INFO", "INF", "INFORMATION", "INFORMATIONAL": return "INFO"
            case "NOTICE": return "NOTICE"
            case "WARN", "WARNING", "WRN": return "WARN"
            case "ERROR", "ERR", "EROR": return "ERROR"
            case "CRITICAL", "CRIT", "FATAL", "PANIC", "ALERT", "EMERG", "EMERGENCY", "SEVERE": return "CRITICAL"
            default: return nil
            }
        case .number(let text):
            guard let n = Int(text) else { return nil }
            switch n {
            case ..<20: return "TRACE"
            case ..<30: return "DEBUG"
            case ..<40: return "INFO"
            case ..<50: return "WARN"
            case ..<60: return "ERROR"
            default: return "CRITICAL"
            }
        default:
            return nil
        }
    }

    /// A sender's event id is used when it is 1–128 printable ASCII characters.
    static func isUsableID(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 128 && id.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }

    /// A UUID (version 8) from the millisecond of `time` and a SHA-256 of `identity`.
    static func derivedID(_ identity: [UInt8], time: Int64) -> String {
        let hash = Array(SHA256.hash(data: identity).prefix(16))
        let random = { (range: Range<Int>) in range.reduce(UInt64(0)) { $0 << 8 | UInt64(hash[$1]) } }
        let millis = UInt64(max(0, time / 1000)) & 0xFFFF_FFFF_FFFF
        // 48 bits of time, version 8, then the variant bits: the layout of a UUIDv7, with hash bits for the rest.
        let high = millis << 16 | 0x8000 | random(6..<8) & 0x0FFF
        let low = 0x8000_0000_0000_0000 | random(8..<16) & 0x3FFF_FFFF_FFFF_FFFF
        var out = OutputBuffer(capacity: 36)
        defer { out.deallocate() }
        out.appendUUID(high: high, low: low)
        return String(decoding: out.bytes, as: UTF8.self)
    }

    static func rfc3339(_ time: Int64) -> String {
        var out = OutputBuffer(capacity: 40)
        defer { out.deallocate() }
        out.appendRFC3339(Timestamp(microsecondsSinceEpoch: time))
        return String(decoding: out.bytes, as: UTF8.self)
    }
}
