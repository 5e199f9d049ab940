/// Where `keel serve` keeps events. The SQLite implementation (``SQLiteLogStore``) is the embedded default; a
/// ClickHouse one comes later, so nothing outside a store's own files may depend on its SQL.
public protocol LogStore: Sendable {
    /// Stores `events` durably (committed; fsync'd too in `durability: .full`) before returning. An event whose
    /// `event_id` is already stored for its timestamp is skipped and counted as a duplicate, so a retried batch is
    /// not stored twice.
    func append(_ events: [StoredEvent]) throws -> AppendResult

    /// A page of the events matching `query`, oldest first (by timestamp, then arrival), and the cursor of the next
    /// page when there may be one.
    func events(_ query: EventQuery) throws -> EventPage
}

/// What an append did.
public struct AppendResult: Sendable, Equatable {
    public var stored: Int
    public var duplicates: Int

    public init(stored: Int, duplicates: Int) {
        self.stored = stored
        self.duplicates = duplicates
    }
}

/// The id fields a query can look events up by, without scanning: each chunk of a partition keeps a Bloom filter
/// over them.
public enum IDField: String, Sendable, CaseIterable, Hashable {
    case requestID = "request_id"
    case traceID = "trace_id"
    case runID = "run_id"
    case userID = "user_id"
}

/// Which events to read. Every filter is optional except the tenant: a query never crosses tenants.
public struct EventQuery: Sendable {
    public var tenant: String
    /// Microseconds since the epoch, inclusive.
    public var from: Int64?
    /// Microseconds since the epoch, exclusive.
    public var to: Int64?
    /// Events at this level or above (``StoredEvent/levelRank(_:)``).
    public var minimumLevel: Int?
    public var event: String?
    public var errorCode: String?
    public var ids: [IDField: String]
    /// A case-insensitive substring of the message (three characters or more).
    public var text: String?
    public var limit: Int
    public var after: EventCursor?

    public init(
        tenant: String, from: Int64? = nil, to: Int64? = nil, minimumLevel: Int? = nil, event: String? = nil,
        errorCode: String? = nil, ids: [IDField: String] = [:], text: String? = nil, limit: Int = 100,
        after: EventCursor? = nil
    ) {
        self.tenant = tenant
        self.from = from
        self.to = to
        self.minimumLevel = minimumLevel
        self.event = event
        self.errorCode = errorCode
        self.ids = ids
        self.text = text
        self.limit = limit
        self.after = after
    }
}

/// A position in the store's order — partition day, timestamp, arrival — that a query can resume after. Its text
/// form (`20261123.1795440558123456.42`) is what the HTTP API hands out.
public struct EventCursor: Sendable, Hashable, Comparable, LosslessStringConvertible {
    public var day: Int
    public var timestamp: Int64
    public var seq: Int64

    public init(day: Int, timestamp: Int64, seq: Int64) {
        self.day = day
        self.timestamp = timestamp
        self.seq = seq
    }

    public init?(_ description: String) {
        let parts = description.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let day = Int(parts[0]), let timestamp = Int64(parts[1]), let seq = Int64(parts[2])
        else { return nil }
        self.init(day: day, timestamp: timestamp, seq: seq)
    }

    public var description: String { "\(day).\(timestamp).\(seq)" }

    public static func < (a: EventCursor, b: EventCursor) -> Bool {
        (a.day, a.timestamp, a.seq) < (b.day, b.timestamp, b.seq)
    }
}

/// One page of a query.
public struct EventPage: Sendable {
    public var events: [StoredEvent]
    /// Where the next page starts; `nil` when this page is the last.
    public var next: EventCursor?
}
