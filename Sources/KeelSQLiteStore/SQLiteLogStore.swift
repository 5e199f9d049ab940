public import KeelStore
import Foundation
import Synchronization

/// The embedded store: one SQLite database per tenant and UTC day under `<directory>/events/<tenant>/<day>.sqlite`,
/// appended by one writer at a time and read concurrently (WAL).
///
/// An append is split by tenant and day and committed partition by partition. A batch that spans days is therefore
/// not atomic, but every append is idempotent (events already stored are skipped by `event_id`), so a sender that
/// retries after a failure loses nothing and duplicates nothing.
///
/// Each tenant's events are numbered in arrival order across its partitions (``StoredEvent/arrival``), so a live
/// tail resumes exactly where it left off. The number never goes back: when days are dropped or events forgotten,
/// the tenant's highest number so far is kept in `<tenant>/arrival-floor`.
public final class SQLiteLogStore: LogStore {
    /// What a successful append promises.
    public enum Durability: Sendable {
        /// Committed: survives the process crashing; an operating-system crash or power loss may lose the last
        /// transactions (SQLite WAL with `synchronous=NORMAL`).
        case normal
        /// Committed and fsync'd before the append returns (`synchronous=FULL`).
        case full
    }

    /// One tenant's days — each with the newest arrival number stored in it — and the last number handed out.
    private struct Tenant {
        var days: [Int: Int64] = [:]
        var lastArrival: Int64 = 0
    }

    public let directory: String
    public let durability: Durability
    private let state = Mutex<[String: Tenant]>([:])
    private let open: OpenPartitions
    /// Appends, drops and erasures one at a time: each partition has a single writer anyway, its chunk filter is the
    /// writer's, and arrival numbers are handed out in commit order.
    private let writing = Mutex<Void>(())

    /// Opens (or creates) a store in `directory`, keeping at most `maximumOpenPartitions` tenant-days open at once
    /// (each holds a few file descriptors and up to 32 MiB of page cache).
    public init(directory: String, durability: Durability = .normal, maximumOpenPartitions: Int = 64) throws {
        self.directory = directory
        self.durability = durability
        self.open = OpenPartitions(limit: maximumOpenPartitions)
        let files = FileManager.default
        try files.createDirectory(atPath: eventsDirectory, withIntermediateDirectories: true)
        var opened: [String: Tenant] = [:]
        for name in try files.contentsOfDirectory(atPath: eventsDirectory) where TenantName.isValid(name) {
            var tenant = Tenant()
            for file in try files.contentsOfDirectory(atPath: eventsDirectory + "/" + name) {
                guard file.hasSuffix(".sqlite"), let day = Int(file.dropLast(".sqlite".count)) else { continue }
                // Opened once to read its newest arrival, then closed: days are opened again when used.
                let partition = try Partition(path: path(name, day), day: day, durability: durability)
                tenant.days[day] = partition.newestArrival
                tenant.lastArrival = max(tenant.lastArrival, partition.newestArrival)
                try partition.close()
            }
            tenant.lastArrival = max(tenant.lastArrival, floor(name))
            opened[name] = tenant
        }
        state.withLock { $0 = opened }
    }

    private var eventsDirectory: String { directory + "/events" }
    private func tenantDirectory(_ tenant: String) -> String { eventsDirectory + "/" + tenant }
    private func path(_ tenant: String, _ day: Int) -> String { tenantDirectory(tenant) + "/\(day).sqlite" }
    private func floorPath(_ tenant: String) -> String { tenantDirectory(tenant) + "/arrival-floor" }

    private func floor(_ tenant: String) -> Int64 { StoreFiles.arrivalFloor(at: floorPath(tenant)) }

    /// Records the tenant's highest arrival number before events are deleted, so numbers are never handed out twice.
    private func keepFloor(_ tenant: String, _ arrival: Int64) throws { try StoreFiles.keepArrivalFloor(arrival, at: floorPath(tenant)) }

    static func day(of timestamp: Int64) -> Int { StoreFiles.day(of: timestamp) }

    /// The days that hold a tenant's events, oldest first.
    public func days(tenant: String) -> [Int] { state.withLock { $0[tenant]?.days.keys.sorted() ?? [] } }

    public func tenants() -> [String] { state.withLock { $0.filter { !$0.value.days.isEmpty }.keys.sorted() } }

    public func append(_ events: [StoredEvent]) throws -> AppendResult {
        try writing.withLock { _ in
            // Positions, not copies, grouped by tenant and day.
            var groups: [String: [Int: [Int]]] = [:]
            for (index, event) in events.enumerated() {
                if groups[event.tenant] == nil, !TenantName.isValid(event.tenant) {
                    throw StoredEventError.invalid("tenant", event.tenant)
                }
                groups[event.tenant, default: [:]][Self.day(of: event.timestamp), default: []].append(index)
            }
            var total = AppendResult(stored: 0, duplicates: 0)
            for tenant in groups.keys.sorted() {
                for (day, batch) in groups[tenant]!.sorted(by: { $0.key < $1.key }) {
                    let last = state.withLock { $0[tenant]?.lastArrival ?? 0 }
                    let (result, arrival, newest) = try using(tenant, day, creating: true) { partition in
                        let (result, arrival) = try partition.append(events, batch, after: last)
                        return (result, arrival, partition.newestArrival)
                    }!
                    state.withLock {
                        $0[tenant, default: Tenant()].lastArrival = arrival
                        $0[tenant, default: Tenant()].days[day] = newest
                    }
                    total.stored += result.stored
                    total.duplicates += result.duplicates
                }
            }
            return total
        }
    }

    /// Runs `body` with the partition of a tenant's day, opening it when it is not open. Only appends create a day;
    /// for anything else a day whose file is gone (dropped meanwhile) is `nil`.
    private func using<T>(_ tenant: String, _ day: Int, creating: Bool = false, _ body: (Partition) throws -> T) throws -> T? {
        let path = path(tenant, day)
        do {
            return try open.using(OpenPartitions.Key(tenant: tenant, day: day), open: {
                if creating {
                    try FileManager.default.createDirectory(atPath: tenantDirectory(tenant), withIntermediateDirectories: true)
                } else if !FileManager.default.fileExists(atPath: path) {
                    throw Gone()
                }
                return try Partition(path: path, day: day, durability: durability)
            }, body)
        } catch is Gone {
            return nil
        }
    }

    private struct Gone: Error {}

    /// How many tenant-days are open now (at most `maximumOpenPartitions` once their users are done).
    public var openPartitions: Int { open.count }

    public func newestArrival(tenant: String) -> Int64 { state.withLock { $0[tenant]?.lastArrival ?? 0 } }

    /// The tenant's days that `query`'s range touches, with the newest arrival in each.
    private func days(_ query: EventQuery) -> [Int: Int64] {
        let fromDay = query.from.map(Self.day(of:)) ?? .min
        let toDay = query.to.map { Self.day(of: $0 == .min ? $0 : $0 - 1) } ?? .max
        return state.withLock { $0[query.tenant]?.days ?? [:] }.filter { day, _ in day >= fromDay && day <= toDay }
    }

    public func events(_ query: EventQuery) throws -> EventPage {
        let limit = max(1, min(query.limit, 10_000))
        let days = days(query)
        if let arrival = query.arrivedAfter {
            // Arrival order: every day that received something since, merged by arrival number.
            var found: [StoredEvent] = []
            for (day, newest) in days where newest > arrival {
                found += try using(query.tenant, day) { try $0.events(query, after: nil, limit: limit) } ?? []
            }
            found.sort { $0.arrival < $1.arrival }
            return EventPage(events: Array(found.prefix(limit)), next: nil)
        }
        var found: [StoredEvent] = []
        for day in days.keys.sorted() where day >= (query.after?.day ?? .min) {
            let after = query.after.flatMap { $0.day == day ? ($0.timestamp, $0.seq) : nil }
            let wanted = limit - found.count + 1
            found += try using(query.tenant, day) { try $0.events(query, after: after, limit: wanted) } ?? []
            if found.count > limit { break }
        }
        // One more than asked tells whether there is a next page.
        let more = found.count > limit
        if more { found.removeLast(found.count - limit) }
        return EventPage(events: found, next: more ? found.last?.cursor : nil)
    }

    public func scan(
        _ query: EventQuery, order: ScanOrder, _ body: (_ timestamp: Int64, _ line: UnsafeBufferPointer<UInt8>) -> Bool
    ) throws {
        // Ids and text are found through the chunks' filters and the text index, which the paged read knows.
        guard query.ids.isEmpty, query.text == nil else { return try pagedScan(query, order: order, body) }
        for day in days(query).keys.sorted(by: order == .newestFirst ? (>) : (<)) {
            guard try using(query.tenant, day, { try $0.scan(query, order: order, body) }) ?? true else { return }
        }
    }

    public func forget(_ request: ForgetRequest, dryRun: Bool) throws -> Int {
        try writing.withLock { _ in
            let tenant = request.tenant
            let days = state.withLock { $0[tenant]?.days ?? [:] }
            switch request {
            case .user(_, let userID):
                var total = 0
                if !dryRun { try keepFloor(tenant, newestArrival(tenant: tenant)) }
                for day in days.keys { total += try using(tenant, day) { try $0.forget(userID: userID, dryRun: dryRun) } ?? 0 }
                return total
            case .tenant:
                let total = try count(tenant, days: Array(days.keys))
                if !dryRun { try drop(tenant, days: Array(days.keys)) }
                return total
            }
        }
    }

    public func dropDays(tenant: String, before cutoff: Int64) throws -> Int {
        try writing.withLock { _ in
            // A day is dropped once all of it is before the cutoff.
            let lastWholeDay = Self.day(of: cutoff) - 1
            let days = state.withLock { $0[tenant]?.days ?? [:] }.filter { $0.key <= lastWholeDay }
            let total = try count(tenant, days: Array(days.keys))
            try drop(tenant, days: Array(days.keys))
            return total
        }
    }

    /// Closes and deletes whole partitions (called while writing).
    private func drop(_ tenant: String, days: [Int]) throws {
        guard !days.isEmpty else { return }
        try keepFloor(tenant, newestArrival(tenant: tenant))
        for day in days {
            guard state.withLock({ $0[tenant]?.days.removeValue(forKey: day) }) != nil else { continue }
            try open.close(OpenPartitions.Key(tenant: tenant, day: day))
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path(tenant, day) + suffix) }
        }
    }

    private func count(_ tenant: String, days: [Int]) throws -> Int {
        try days.reduce(0) { total, day in try total + (using(tenant, day) { try $0.count() } ?? 0) }
    }

    public func sizeInBytes() -> Int64 { StoreFiles.bytes(under: eventsDirectory) }
}
