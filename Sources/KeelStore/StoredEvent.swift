public import Keel
import Logging

/// One event as the store keeps it: the canonical line, and the fields queries filter on.
///
/// Ingest for a store whose appends read no more of an event than its id, time, tenant, level and line
/// (``LogStore/appendReadsEventFields``) leaves the other fields unread: each is then read from the line when asked
/// for, so an event never says anything its line does not.
public struct StoredEvent: Sendable, Equatable {
    public var eventID: String
    /// Microseconds since the epoch.
    public var timestamp: Int64
    public var tenant: String
    /// ``levelRank(_:)`` of the event's level.
    public var level: Int
    public var event: String? {
        get { fields.event }
        set { changeFields { $0.event = newValue } }
    }
    public var errorCode: String? {
        get { fields.errorCode }
        set { changeFields { $0.errorCode = newValue } }
    }
    public var ids: EventIDs {
        get { fields.ids }
        set { changeFields { $0.ids = newValue } }
    }
    /// The message, for text search.
    public var message: String {
        get { fields.message }
        set { changeFields { $0.message = newValue } }
    }
    /// The whole event, one JSON object in the canonical schema.
    public var line: String
    /// Where it is in the store, once read back.
    public var cursor: EventCursor?
    /// Its place in the tenant's arrival order (from 1), once read back: what a live tail resumes after.
    public var arrival: Int64 { cursor?.seq ?? 0 }

    /// The fields queries filter on besides time and level, as given; `nil` when they are to be read from the line.
    private var given: Fields?

    private struct Fields: Sendable, Equatable {
        var event: String?
        var errorCode: String?
        var ids: EventIDs
        var message: String
    }

    private var fields: Fields { given ?? Self.fields(of: line) }

    private mutating func changeFields(_ change: (inout Fields) -> Void) {
        var fields = self.fields
        change(&fields)
        given = fields
    }

    /// The fields of a canonical line (none when it is not one).
    private static func fields(of line: String) -> Fields {
        guard case .object(let members) = try? JSONParser.parse(line) else { return Fields(ids: EventIDs(), message: "") }
        return fields(of: members)
    }

    private static func fields(of members: [(key: String, value: JSONValue)]) -> Fields {
        func string(_ key: String) -> String? { members.first { $0.key == key }?.value.stringValue }
        var ids = EventIDs()
        for field in IDField.allCases { if let value = string(field.rawValue), !value.isEmpty { ids[field] = value } }
        return Fields(event: string("event"), errorCode: string("error_code"), ids: ids, message: string("message") ?? "")
    }

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
        self.given = Self.fields(of: members)
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

    /// An event whose message, event name, error code and ids are read from `line` only when asked for: what ingest
    /// makes for a store whose appends do not read them.
    package init(eventID: String, timestamp: Int64, tenant: String, level: Int, line: String) {
        self.eventID = eventID
        self.timestamp = timestamp
        self.tenant = tenant
        self.level = level
        self.given = nil
        self.line = line
        self.cursor = nil
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
        self.given = Fields(event: event, errorCode: errorCode, ids: ids, message: message)
        self.line = line
        self.cursor = cursor
    }

    public static func == (a: StoredEvent, b: StoredEvent) -> Bool {
        a.eventID == b.eventID && a.timestamp == b.timestamp && a.tenant == b.tenant && a.level == b.level
            && a.line == b.line && a.cursor == b.cursor && a.fields == b.fields
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
