public import Keel
import Logging

/// One event as the store keeps it: the canonical line, and the fields queries filter on.
public struct StoredEvent: Sendable, Equatable {
    public var eventID: String
    /// Microseconds since the epoch.
    public var timestamp: Int64
    public var tenant: String
    /// ``levelRank(_:)`` of the event's level.
    public var level: Int
    public var event: String?
    public var errorCode: String?
    public var ids: EventIDs
    /// The message, for text search.
    public var message: String
    /// The whole event, one JSON object in the canonical schema.
    public var line: String
    /// Where it is in the store, once read back.
    public var cursor: EventCursor?
    /// Its place in the tenant's arrival order (from 1), once read back: what a live tail resumes after.
    public var arrival: Int64 { cursor?.seq ?? 0 }

    /// Reads the fields of a canonical line. `tenant` is the tenant the line was sent for (never taken from the
    /// line itself: a sender cannot write into another tenant).
    public init(line: String, tenant: String) throws(StoredEventError) {
        guard case .object(let members) = try? JSONParser.parse(line) else { throw .notAnObject }
        func string(_ key: String) -> String? { members.first { $0.key == key }?.value.stringValue }
        guard let time = string("timestamp") else { throw .missing("timestamp") }
        guard let timestamp = Timestamp(rfc3339: time) else { throw .invalid("timestamp", time) }
        guard let eventID = string("event_id"), !eventID.isEmpty else { throw .missing("event_id") }
        self.eventID = eventID
        self.timestamp = timestamp.microsecondsSinceEpoch
        self.tenant = tenant
        self.level = Self.levelRank(string("level") ?? "INFO")
        self.event = string("event")
        self.errorCode = string("error_code")
        var ids = EventIDs()
        for field in IDField.allCases { if let value = string(field.rawValue), !value.isEmpty { ids[field] = value } }
        self.ids = ids
        self.message = string("message") ?? ""
        self.line = line
        self.cursor = nil
    }

    /// An event whose fields the caller has already read from `line` (an ingest normaliser builds both at once).
    public init(
        eventID: String, timestamp: Int64, tenant: String, level: Int, event: String?, errorCode: String?,
        ids: EventIDs, message: String, line: String
    ) {
        self.init(
            eventID: eventID, timestamp: timestamp, tenant: tenant, level: level, event: event, errorCode: errorCode,
            ids: ids, message: message, line: line, cursor: nil)
    }

    /// An event read back from a store, at `cursor`: what a ``LogStore`` implementation returns.
    public init(
        eventID: String, timestamp: Int64, tenant: String, level: Int, event: String?, errorCode: String?,
        ids: EventIDs, message: String, line: String, cursor: EventCursor?
    ) {
        self.eventID = eventID
        self.timestamp = timestamp
        self.tenant = tenant
        self.level = level
        self.event = event
        self.errorCode = errorCode
        self.ids = ids
        self.message = message
        self.line = line
        self.cursor = cursor
    }

    /// The `message` of a canonical line ("" when it has none), read without building the rest of it: what a store
    /// hands back with every event it reads.
    public static func message(of line: String) -> String {
        var line = line
        return line.withUTF8 { bytes in
            var members: [JSONReader.Member] = []
            guard (try? JSONReader.members(of: bytes, maxDepth: 128, into: &members)) != nil,
                let member = members.last(where: { $0.kind == .string && bytes[$0.key].elementsEqual("message".utf8) })
            else { return "" }
            var reader = JSONReader(bytes, maxDepth: 1, repairUTF8: false)
            reader.skip(to: member.value.lowerBound)
            return (try? reader.string()).map { reader.text(of: $0) } ?? ""
        }
    }

    /// 0 for TRACE up to 6 for CRITICAL (`Logger.Level.rank`); an unknown level counts as INFO.
    public static func levelRank(_ name: some StringProtocol) -> Int { Logger.Level.rank(ofName: name) }
}

/// Why a line cannot be stored.
public enum StoredEventError: Error, Equatable, CustomStringConvertible {
    case notAnObject
    case missing(String)
    case invalid(String, String)

    public var description: String {
        switch self {
        case .notAnObject: "not a JSON object"
        case .missing(let field): "missing field \"\(field)\""
        case .invalid(let field, let value): "invalid \(field): \(value.prefix(64))"
        }
    }
}
