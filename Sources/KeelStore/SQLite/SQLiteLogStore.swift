import Foundation
import Synchronization

/// The embedded store: one SQLite database per day under `<directory>/events/`, appended by one writer at a time
/// and read concurrently (WAL).
///
/// An append is split by day and committed partition by partition. A batch that spans days is therefore not atomic,
/// but every append is idempotent (events already stored are skipped by `event_id`), so a sender that retries after
/// a failure loses nothing and duplicates nothing.
public final class SQLiteLogStore: LogStore {
    /// What a successful append promises.
    public enum Durability: Sendable {
        /// Committed: survives the process crashing; an operating-system crash or power loss may lose the last
        /// transactions (SQLite WAL with `synchronous=NORMAL`).
        case normal
        /// Committed and fsync'd before the append returns (`synchronous=FULL`).
        case full
    }

    public let directory: String
    public let durability: Durability
    private let partitions = Mutex<[Int: Partition]>([:])
    /// Appends one at a time: each partition has a single writer anyway, and its chunk filter is the writer's.
    private let appending = Mutex<Void>(())

    /// Opens (or creates) a store in `directory`.
    public init(directory: String, durability: Durability = .normal) throws {
        self.directory = directory
        self.durability = durability
        try FileManager.default.createDirectory(atPath: eventsDirectory, withIntermediateDirectories: true)
        var opened: [Int: Partition] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: eventsDirectory) {
            guard name.hasSuffix(".sqlite"), let day = Int(name.dropLast(".sqlite".count)) else { continue }
            opened[day] = try Partition(path: path(day), day: day, durability: durability)
        }
        partitions.withLock { $0 = opened }
    }

    private var eventsDirectory: String { directory + "/events" }
    private func path(_ day: Int) -> String { eventsDirectory + "/\(day).sqlite" }

    /// Days since the epoch of a timestamp in microseconds.
    static func day(of timestamp: Int64) -> Int {
        Int((timestamp >= 0 ? timestamp : timestamp - 86_400_000_000 + 1) / 86_400_000_000)
    }

    /// The days that hold events, oldest first.
    public var days: [Int] { partitions.withLock { $0.keys.sorted() } }

    public func append(_ events: [StoredEvent]) throws -> AppendResult {
        try appending.withLock { _ in
            var byDay: [Int: [StoredEvent]] = [:]
            for event in events { byDay[Self.day(of: event.timestamp), default: []].append(event) }
            var total = AppendResult(stored: 0, duplicates: 0)
            for day in byDay.keys.sorted() {
                let result = try partition(day).append(byDay[day]!)
                total.stored += result.stored
                total.duplicates += result.duplicates
            }
            return total
        }
    }

    private func partition(_ day: Int) throws -> Partition {
        if let existing = partitions.withLock({ $0[day] }) { return existing }
        let created = try Partition(path: path(day), day: day, durability: durability)
        partitions.withLock { $0[day] = created }
        return created
    }

    public func events(_ query: EventQuery) throws -> EventPage {
        let limit = max(1, min(query.limit, 10_000))
        let fromDay = query.from.map(Self.day(of:)) ?? .min
        let toDay = query.to.map { Self.day(of: $0 - 1) } ?? .max
        let candidates = partitions.withLock { $0 }.filter { day, _ in
            day >= fromDay && day <= toDay && day >= (query.after?.day ?? .min)
        }.sorted { $0.key < $1.key }
        var found: [StoredEvent] = []
        for (day, partition) in candidates {
            let after = query.after.flatMap { $0.day == day ? ($0.timestamp, $0.seq) : nil }
            found += try partition.events(query, after: after, limit: limit - found.count + 1)
            if found.count > limit { break }
        }
        // One more than asked tells whether there is a next page.
        let more = found.count > limit
        if more { found.removeLast(found.count - limit) }
        return EventPage(events: found, next: more ? found.last?.cursor : nil)
    }
}
