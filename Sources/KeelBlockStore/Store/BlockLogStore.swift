import Foundation
public import KeelStore
import Synchronization

/// Store v2 (being built; `keel serve` does not use it yet): each tenant's days as directories of compressed
/// blocks and a head (``BlockPartition``), under `<directory>/blocks/<tenant>/<days-since-epoch>/`.
///
/// It meets ``LogStore``'s contract — idempotent appends, time order and paging, every filter, ids, text, tenants,
/// retention, erasure and arrival numbers across restarts — by reading a day's events whole and filtering them in
/// memory. That is the first step; reading only the blocks a query needs (by time, by filters) comes next.
public final class BlockLogStore: LogStore {
    public enum Durability: Sendable {
        /// Written before an append returns: survives the process being killed.
        case normal
        /// Also fsync'd: survives the machine losing power.
        case full
    }

    private struct Key: Hashable {
        let tenant: String
        let day: Int
    }

    private struct Tenant {
        var days: Set<Int> = []
        var lastArrival: Int64 = 0
    }

    public let directory: String
    private let durability: HeadLog.Durability
    private let policy: FlushPolicy
    private let state = Mutex<[String: Tenant]>([:])
    private let partitions = Mutex<[Key: BlockPartition]>([:])
    /// Each partition's `(timestamp, event_id)` keys, loaded on its first append: what makes appends idempotent.
    private let dedupe = Mutex<[Key: Set<DedupeKey>]>([:])
    /// Appends, drops and erasures one at a time, so that arrival numbers are handed out in order.
    private let writing = Mutex<Void>(())

    private struct DedupeKey: Hashable {
        let timestamp: Int64
        let eventID: String
    }

    public convenience init(directory: String, durability: Durability = .normal) throws {
        try self.init(directory: directory, durability: durability, policy: FlushPolicy())
    }

    /// A store whose heads flush by `policy` (tests use small blocks, so that every read crosses blocks and heads).
    package init(directory: String, durability: Durability, policy: FlushPolicy) throws {
        self.directory = directory
        self.durability = durability == .full ? .full : .normal
        self.policy = policy
        let files = FileManager.default
        try files.createDirectory(atPath: directory + "/blocks", withIntermediateDirectories: true)
        var tenants: [String: Tenant] = [:]
        var opened: [Key: BlockPartition] = [:]
        for name in try files.contentsOfDirectory(atPath: directory + "/blocks") where TenantName.isValid(name) {
            var tenant = Tenant()
            for entry in try files.contentsOfDirectory(atPath: directory + "/blocks/" + name) {
                guard let day = Int(entry) else { continue }
                let partition = try BlockPartition(directory: path(name, day), durability: self.durability, policy: policy, now: Self.now())
                opened[Key(tenant: name, day: day)] = partition
                tenant.days.insert(day)
                tenant.lastArrival = max(tenant.lastArrival, partition.newestArrival)
            }
            tenant.lastArrival = max(tenant.lastArrival, floor(name))
            tenants[name] = tenant
        }
        state.withLock { $0 = tenants }
        partitions.withLock { $0 = opened }
    }

    private func path(_ tenant: String, _ day: Int) -> String { directory + "/blocks/\(tenant)/\(day)" }
    private func floorPath(_ tenant: String) -> String { directory + "/blocks/\(tenant)/arrival-floor" }

    private func floor(_ tenant: String) -> Int64 {
        (try? String(contentsOfFile: floorPath(tenant), encoding: .utf8)).flatMap { Int64($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 0
    }

    /// Records the tenant's highest arrival number before events are deleted, so numbers are never handed out twice.
    private func keepFloor(_ tenant: String) throws {
        let arrival = newestArrival(tenant: tenant)
        try FileManager.default.createDirectory(atPath: directory + "/blocks/" + tenant, withIntermediateDirectories: true)
        try DurableFiles.write(Array("\(arrival)\n".utf8), to: floorPath(tenant))
    }

    private static func now() -> Int64 { Int64(Date().timeIntervalSince1970 * 1_000_000) }

    private static func day(of timestamp: Int64) -> Int {
        let (days, rest) = timestamp.quotientAndRemainder(dividingBy: 86_400_000_000)
        return Int(rest < 0 ? days - 1 : days)
    }

    private func partition(_ key: Key, creating: Bool) throws -> BlockPartition? {
        if let open = partitions.withLock({ $0[key] }) { return open }
        guard creating else { return nil }
        let made = try BlockPartition(directory: path(key.tenant, key.day), durability: durability, policy: policy, now: Self.now())
        partitions.withLock { $0[key] = made }
        return made
    }

    // MARK: Writing

    public func append(_ events: [StoredEvent]) throws -> AppendResult {
        try writing.withLock { _ in
            var groups: [Key: [Int]] = [:]
            for (index, event) in events.enumerated() {
                guard TenantName.isValid(event.tenant) else { throw StoredEventError.invalid("tenant", event.tenant) }
                groups[Key(tenant: event.tenant, day: Self.day(of: event.timestamp)), default: []].append(index)
            }
            var result = AppendResult(stored: 0, duplicates: 0)
            for key in groups.keys.sorted(by: { ($0.tenant, $0.day) < ($1.tenant, $1.day) }) {
                let partition = try partition(key, creating: true)!
                var seen = try dedupeKeys(key, partition)
                var last = state.withLock { $0[key.tenant]?.lastArrival ?? 0 }
                var records: [HeadLogRecords.Record] = []
                for index in groups[key]! {
                    let event = events[index]
                    guard seen.insert(DedupeKey(timestamp: event.timestamp, eventID: event.eventID)).inserted else {
                        result.duplicates += 1
                        continue
                    }
                    last += 1
                    records.append(HeadLogRecords.Record(seq: last, timestamp: event.timestamp, line: Array(event.line.utf8)))
                }
                try partition.append(records, now: Self.now())
                dedupe.withLock { $0[key] = seen }
                state.withLock {
                    $0[key.tenant, default: Tenant()].days.insert(key.day)
                    $0[key.tenant, default: Tenant()].lastArrival = last
                }
                result.stored += records.count
            }
            return result
        }
    }

    /// The partition's keys, taken out of `dedupe` (the caller puts them back): a set still held there would be
    /// copied whole by the caller's first insert.
    private func dedupeKeys(_ key: Key, _ partition: BlockPartition) throws -> Set<DedupeKey> {
        if let known = dedupe.withLock({ $0.removeValue(forKey: key) }) { return known }
        var keys: Set<DedupeKey> = []
        for event in try read(key, partition) { keys.insert(DedupeKey(timestamp: event.timestamp, eventID: event.eventID)) }
        return keys
    }

    // MARK: Reading

    /// The events of a partition that `query` may want (every one without a query), as stored events at their
    /// positions: blocks its range, ids or text rule out are not read. A damaged block fails the read.
    private func read(_ key: Key, _ partition: BlockPartition, _ query: EventQuery? = nil) throws -> [StoredEvent] {
        var narrowing = BlockPartition.Narrowing()
        if let query {
            narrowing = BlockPartition.Narrowing(
                from: query.from, to: query.to, ids: query.ids.map { ($0.key, $0.value) },
                text: query.text.flatMap { $0.isEmpty ? nil : $0 })
        }
        let (records, damaged) = partition.events(narrowing)
        if let first = damaged.first { throw first.error }
        return records.compactMap { record in
            guard let parsed = try? StoredEvent(line: String(decoding: record.line, as: UTF8.self), tenant: key.tenant) else { return nil }
            return StoredEvent(
                eventID: parsed.eventID, timestamp: record.timestamp, tenant: key.tenant, level: parsed.level, event: parsed.event,
                errorCode: parsed.errorCode, ids: parsed.ids, message: parsed.message, line: parsed.line,
                cursor: EventCursor(day: key.day, timestamp: record.timestamp, seq: record.seq))
        }
    }

    private static func matches(_ event: StoredEvent, _ query: EventQuery) -> Bool {
        if let from = query.from, event.timestamp < from { return false }
        if let to = query.to, event.timestamp >= to { return false }
        if let level = query.minimumLevel, event.level < level { return false }
        if let name = query.event, event.event != name { return false }
        if let code = query.errorCode, event.errorCode != code { return false }
        for (field, value) in query.ids where event.ids[field] != value { return false }
        if let text = query.text, !text.isEmpty, event.message.range(of: text, options: [.caseInsensitive]) == nil { return false }
        return true
    }

    public func events(_ query: EventQuery) throws -> EventPage {
        let limit = max(1, min(query.limit, 10_000))
        let fromDay = query.from.map(Self.day(of:)) ?? .min
        let toDay = query.to.map { Self.day(of: $0 == .min ? $0 : $0 - 1) } ?? .max
        let days = state.withLock { $0[query.tenant]?.days ?? [] }.filter { $0 >= fromDay && $0 <= toDay }.sorted()
        if let arrival = query.arrivedAfter {
            var found: [StoredEvent] = []
            for day in days {
                let key = Key(tenant: query.tenant, day: day)
                guard let partition = try partition(key, creating: false), partition.newestArrival > arrival else { continue }
                found += try read(key, partition, query).filter { $0.arrival > arrival && Self.matches($0, query) }
            }
            found.sort { $0.arrival < $1.arrival }
            return EventPage(events: Array(found.prefix(limit)), next: nil)
        }
        var found: [StoredEvent] = []
        for day in days where day >= (query.after?.day ?? .min) {
            let key = Key(tenant: query.tenant, day: day)
            guard let partition = try partition(key, creating: false) else { continue }
            var events = try read(key, partition, query).filter { Self.matches($0, query) }
            if let after = query.after, after.day == day { events.removeAll { ($0.timestamp, $0.arrival) <= (after.timestamp, after.seq) } }
            events.sort { ($0.timestamp, $0.arrival) < ($1.timestamp, $1.arrival) }
            found += events.prefix(limit + 1 - found.count)
            if found.count > limit { break }
        }
        let more = found.count > limit
        if more { found.removeLast(found.count - limit) }
        return EventPage(events: found, next: more ? found.last?.cursor : nil)
    }

    public func newestArrival(tenant: String) -> Int64 { state.withLock { $0[tenant]?.lastArrival ?? 0 } }

    // MARK: Deleting

    public func forget(_ request: ForgetRequest, dryRun: Bool) throws -> Int {
        try writing.withLock { _ in
            let tenant = request.tenant
            let days = state.withLock { $0[tenant]?.days ?? [] }.sorted()
            switch request {
            case .user(_, let userID):
                var total = 0
                if !dryRun { try keepFloor(tenant) }
                for day in days {
                    let key = Key(tenant: tenant, day: day)
                    guard let partition = try partition(key, creating: false) else { continue }
                    let doomed = Set(try read(key, partition).filter { $0.ids[.userID] == userID }.map(\.arrival))
                    total += doomed.count
                    if !dryRun, !doomed.isEmpty {
                        _ = try partition.erase { doomed.contains($0.seq) }
                        dedupe.withLock { $0[key] = nil }
                    }
                }
                return total
            case .tenant:
                let total = try count(tenant, days)
                if !dryRun { try drop(tenant, days) }
                return total
            }
        }
    }

    public func dropDays(tenant: String, before cutoff: Int64) throws -> Int {
        try writing.withLock { _ in
            let lastWholeDay = Self.day(of: cutoff) - 1
            let days = state.withLock { $0[tenant]?.days ?? [] }.filter { $0 <= lastWholeDay }.sorted()
            let total = try count(tenant, days)
            try drop(tenant, days)
            return total
        }
    }

    private func count(_ tenant: String, _ days: [Int]) throws -> Int {
        try days.reduce(0) { total, day in
            let key = Key(tenant: tenant, day: day)
            guard let partition = try partition(key, creating: false) else { return total }
            return total + (try read(key, partition).count)
        }
    }

    /// Deletes whole days (called while writing), keeping the tenant's arrival floor first.
    private func drop(_ tenant: String, _ days: [Int]) throws {
        guard !days.isEmpty else { return }
        try keepFloor(tenant)
        for day in days {
            let key = Key(tenant: tenant, day: day)
            partitions.withLock { $0[key] = nil }
            dedupe.withLock { $0[key] = nil }
            state.withLock { _ = $0[tenant]?.days.remove(day) }
            try? FileManager.default.removeItem(atPath: path(tenant, day))
        }
    }

    /// Flushes every head into blocks: what a clean shutdown does, so that a restart has no log to replay.
    public func flush() throws {
        try writing.withLock { _ in
            for partition in partitions.withLock({ Array($0.values) }) { try partition.tick(now: Self.now(), closing: true) }
        }
    }

    public func tenants() throws -> [String] { state.withLock { $0.filter { !$0.value.days.isEmpty }.keys.sorted() } }

    public func sizeInBytes() -> Int64 {
        guard let walker = FileManager.default.enumerator(atPath: directory + "/blocks") else { return 0 }
        var total: Int64 = 0
        while let name = walker.nextObject() as? String {
            let attributes = try? FileManager.default.attributesOfItem(atPath: directory + "/blocks/" + name)
            if attributes?[.type] as? FileAttributeType == .typeRegular { total += (attributes?[.size] as? NSNumber)?.int64Value ?? 0 }
        }
        return total
    }
}
