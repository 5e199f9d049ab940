/// Where `keel serve` keeps events. The SQLite implementation (``SQLiteLogStore``) is the embedded default; a
/// ClickHouse one comes later, so nothing outside a store's own files may depend on its SQL.
public protocol LogStore: Sendable {
    /// Stores `events` durably (committed; fsync'd too in `durability: .full`) before returning. An event whose
    /// `event_id` is already stored for its timestamp is skipped and counted as a duplicate, so a retried batch is
    /// not stored twice.
    func append(_ events: [StoredEvent]) throws -> AppendResult

    /// Whether ``append(_:)`` reads an event's message, event name, error code and ids (a store that files them in
    /// columns of their own does). When it does not, ingest does not make them: they are read from the line if
    /// anything asks (``StoredEvent``). `true` unless a store says otherwise.
    var appendReadsEventFields: Bool { get }

    /// A page of the events matching `query`: oldest first (by timestamp, then arrival), or in arrival order when
    /// the query asks for events that arrived after an ``EventQuery/arrivedAfter`` position (what a live tail reads).
    func events(_ query: EventQuery) throws -> EventPage

    /// Hands `body` every event of `query` — its range and filters, not its `limit`, `after` or `arrivedAfter` —
    /// in `order`, as its timestamp (microseconds) and its line's bytes, lent for the call only, until `body`
    /// returns `false`. What a query engine reads a range with: no pages, and nothing built per event. The default
    /// is ``pagedScan(_:_:)``.
    func scan(
        _ query: EventQuery, order: ScanOrder, _ body: (_ timestamp: Int64, _ line: UnsafeBufferPointer<UInt8>) -> Bool
    ) throws

    /// Hands `body` each event of `query` (its range and filters, as ``scan(_:order:_:)`` reads them, in no particular
    /// order) as its timestamp and, for each of `names`, the JSON text of its last top-level member of that name
    /// (`nil` when it has none), lent for the call only, until `body`
    /// returns `false`. What an aggregation that reads a few fields of every event reads: a store that keeps
    /// columns hands them over without building lines. The default picks them from each line of ``scan``.
    func scanMembers(
        _ query: EventQuery, names: [String], _ body: (_ timestamp: Int64, _ members: [UnsafeBufferPointer<UInt8>?]) -> Bool
    ) throws

    /// The arrival position of the tenant's newest event (0 when it has none): where a live tail that starts now
    /// begins.
    func newestArrival(tenant: String) -> Int64

    /// Deletes what `request` names (or only counts it, when `dryRun`) and returns how many events that is.
    func forget(_ request: ForgetRequest, dryRun: Bool) throws -> Int

    /// Drops the tenant's whole days that ended before `cutoff` (microseconds since the epoch) and returns how many
    /// events they held.
    func dropDays(tenant: String, before cutoff: Int64) throws -> Int

    /// The tenants that have events.
    func tenants() throws -> [String]

    /// Bytes on disk.
    func sizeInBytes() -> Int64
}

extension LogStore {
    public var appendReadsEventFields: Bool { true }
}

/// The order a ``LogStore/scan(_:order:_:)`` hands events over in.
public enum ScanOrder: Sendable {
    /// Oldest first, by timestamp then arrival, as ``LogStore/events(_:)`` pages: what a forward log query reads.
    case oldestFirst
    /// Newest first, by timestamp then arrival: what a backward log query reads, stopping at its limit.
    case newestFirst
    /// Whatever order the store reads fastest: what an aggregation that sorts its own samples reads.
    case any
}

/// What an erasure request deletes.
public enum ForgetRequest: Sendable, Equatable {
    /// Every event of one user of a tenant.
    case user(tenant: String, userID: String)
    /// Every event of a tenant.
    case tenant(String)

    public var tenant: String {
        switch self {
        case .user(let tenant, _), .tenant(let tenant): tenant
        }
    }
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
    /// A case-insensitive substring of the message.
    public var text: String?
    /// Bytes every line read must contain, as written (LogQL's `|=`): what a store may skip blocks and rows by
    /// without building their lines. A hint: a store may hand over lines without them, and the reader checks.
    public var lineContains: [String] = []
    public var limit: Int
    /// Resume a time-ordered read after this position.
    public var after: EventCursor?
    /// Read in arrival order, the events that arrived after this position (``StoredEvent/arrival``); `after` is
    /// ignored then.
    public var arrivedAfter: Int64?

    public init(
        tenant: String, from: Int64? = nil, to: Int64? = nil, minimumLevel: Int? = nil, event: String? = nil,
        errorCode: String? = nil, ids: [IDField: String] = [:], text: String? = nil, limit: Int = 100,
        after: EventCursor? = nil, arrivedAfter: Int64? = nil
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
        self.arrivedAfter = arrivedAfter
    }
}

/// A position in the store's time order — partition day, timestamp, arrival — that a query can resume after. Its
/// text form (`20415.1795440558123456.42`) is what the HTTP API hands out.
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
    /// Where the next time-ordered page starts; `nil` when this page is the last (always `nil` for arrival-order
    /// reads: resume those from the last event's ``StoredEvent/arrival``).
    public var next: EventCursor?

    public init(events: [StoredEvent], next: EventCursor?) {
        self.events = events
        self.next = next
    }
}

/// Tenant names are directory names in the embedded store and labels elsewhere: 1–64 of `[A-Za-z0-9_-]`.
public enum TenantName {
    public static func isValid(_ name: some StringProtocol) -> Bool {
        !name.isEmpty && name.utf8.count <= 64
            && name.utf8.allSatisfy { b in
                (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2D
                    || b == 0x5F
            }
    }
}
