import Foundation
public import KeelStore
import Synchronization

/// Store v2: each tenant's days as directories of compressed column blocks and a head (``BlockPartition``), under
/// `<directory>/blocks/<tenant>/<days-since-epoch>/`.
///
/// - **Appends** go to the day's head: its write-ahead log is written (and fsync'd with `.full`) before an append
///   returns, and the head flushes into a block once it holds a block's worth, holds too many bytes, or its oldest
///   event has waited long enough (``FlushPolicy``; the age is checked by ``maintain()``, which `keel serve` calls
///   every second). An event whose key (time and `event_id`) is stored already is a duplicate: the head and the
///   blocks whose filters admit the key are checked.
/// - **Memory** is bounded whatever the number of tenant-days: the heads together hold at most
///   ``Limits/headBytes`` (the biggest are flushed first), decoded blocks are cached up to ``Limits/cacheBytes``,
///   and days with empty heads are closed beyond ``Limits/openPartitions`` or ``Limits/indexBytes`` of filters.
/// - **Reads** skip the blocks a query's range, ids and text rule out (their headers and filters are kept in memory)
///   and hand over rows in time order by merging the rest lazily: the first hundred hits read the one or two blocks
///   that hold them.
/// - **A damaged block** is skipped by reads and reported through `damaged` once per file.
public final class BlockLogStore: LogStore {
    public enum Durability: Sendable {
        /// Written before an append returns: survives the process being killed.
        case normal
        /// Also fsync'd: survives the machine losing power.
        case full
    }

    /// How much memory the store may hold, whatever the number of tenant-days.
    public struct Limits: Sendable {
        /// What all heads together hold in lines' bytes before the biggest are flushed.
        public var headBytes: Int
        /// Decoded blocks kept for reads.
        public var cacheBytes: Int
        /// Days with nothing in their heads kept open (each holds its blocks' filters)…
        public var openPartitions: Int
        /// …and what their blocks' filters may take together (a day of a million events holds ~4 MiB of them).
        public var indexBytes: Int

        public init(headBytes: Int = 64 << 20, cacheBytes: Int = 64 << 20, openPartitions: Int = 256, indexBytes: Int = 64 << 20) {
            self.headBytes = headBytes
            self.cacheBytes = cacheBytes
            self.openPartitions = openPartitions
            self.indexBytes = indexBytes
        }
    }

    private struct Key: Hashable {
        let tenant: String
        let day: Int
    }

    private struct Tenant {
        /// Each day that holds events, with the newest arrival number in it (an upper bound after an erasure): a
        /// tail skips the days with nothing new without opening them.
        var days: [Int: Int64] = [:]
        var lastArrival: Int64 = 0
    }

    private struct Open {
        let partition: BlockPartition
        var used: UInt64
    }

    public let directory: String
    private let durability: HeadLog.Durability
    private let policy: FlushPolicy
    private let limits: Limits
    private let cache: BlockCache
    private let damaged: @Sendable (_ file: String, _ error: any Error) -> Void
    private let flushFailed: @Sendable (_ day: String, _ error: any Error) -> Void
    private let reported = Mutex<Set<String>>([])
    private let state = Mutex<[String: Tenant]>([:])
    private let partitions = Mutex<(open: [Key: Open], clock: UInt64)>(([:], 0))
    /// Appends, drops and erasures one at a time, so that arrival numbers are handed out in order.
    private let writing = Mutex<Void>(())
    /// Flushes a head once it holds a block's worth, off the append's path: appends go on into the head meanwhile.
    private let flusher = DispatchQueue(label: "keel.blocks.flush")
    /// The days with a flush queued.
    private let queued = Mutex<Set<String>>([])
    /// One maintenance pass at a time.
    private let maintaining = Mutex<Void>(())

    /// Opens (or creates) the store under `directory`, whose heads flush by `policy`; `damaged` hears of each block
    /// that cannot be read, once; `flushFailed` of each background flush that fails (its events stay in the head and
    /// its log; appends wait once the head holds twice a block, and fail as the flush does).
    public init(
        directory: String, durability: Durability = .normal, policy: FlushPolicy = FlushPolicy(), limits: Limits = Limits(),
        damaged: @escaping @Sendable (_ file: String, _ error: any Error) -> Void = { _, _ in },
        flushFailed: @escaping @Sendable (_ day: String, _ error: any Error) -> Void = { _, _ in }
    ) throws {
        self.directory = directory
        self.durability = durability == .full ? .full : .normal
        self.policy = policy
        self.limits = limits
        self.cache = BlockCache(capacity: limits.cacheBytes)
        self.damaged = damaged
        self.flushFailed = flushFailed
        let files = FileManager.default
        try files.createDirectory(atPath: directory + "/blocks", withIntermediateDirectories: true)
        var tenants: [String: Tenant] = [:]
        var opened: [Key: Open] = [:]
        for name in try files.contentsOfDirectory(atPath: directory + "/blocks") where TenantName.isValid(name) {
            var tenant = Tenant(lastArrival: StoreFiles.arrivalFloor(at: floorPath(name)))
            for entry in try files.contentsOfDirectory(atPath: directory + "/blocks/" + name) {
                guard let day = Int(entry) else { continue }
                let dayPath = path(name, day)
                let contents = try files.contentsOfDirectory(atPath: dayPath)
                let head = (try? files.attributesOfItem(atPath: dayPath + "/head.log"))?[.size] as? NSNumber
                // A day whose head holds events is opened now, to replay them; the others when first used.
                let newest: Int64
                if let head, head.intValue > 0 {
                    let partition = try BlockPartition(
                        directory: dayPath, durability: self.durability, policy: policy, cache: cache, now: Self.now())
                    opened[Key(tenant: name, day: day)] = Open(partition: partition, used: 0)
                    newest = partition.newestArrival
                } else {
                    guard let last = contents.compactMap({ BlockFile(name: $0)?.lastSeq }).max() else { continue }
                    newest = last
                }
                tenant.lastArrival = max(tenant.lastArrival, newest)
                tenant.days[day] = newest
            }
            tenants[name] = tenant
        }
        state.withLock { $0 = tenants }
        partitions.withLock { $0.open = opened }
    }

    private func path(_ tenant: String, _ day: Int) -> String { directory + "/blocks/\(tenant)/\(day)" }
    private func floorPath(_ tenant: String) -> String { directory + "/blocks/\(tenant)/arrival-floor" }

    /// Records the tenant's highest arrival number before events are deleted, so numbers are never handed out twice.
    private func keepFloor(_ tenant: String) throws {
        try StoreFiles.keepArrivalFloor(newestArrival(tenant: tenant), at: floorPath(tenant))
    }

    private static func now() -> Int64 { Int64(Date().timeIntervalSince1970 * 1_000_000) }

    /// The day's partition, opened if need be (created, with `creating`; `nil` for a day with nothing stored).
    private func partition(_ key: Key, creating: Bool = false) throws -> BlockPartition? {
        let open = partitions.withLock { partitions -> BlockPartition? in
            partitions.clock += 1
            guard partitions.open[key] != nil else { return nil }
            partitions.open[key]!.used = partitions.clock
            return partitions.open[key]!.partition
        }
        if let open { return open }
        guard creating || FileManager.default.fileExists(atPath: path(key.tenant, key.day)) else { return nil }
        let made = try BlockPartition(directory: path(key.tenant, key.day), durability: durability, policy: policy, cache: cache, now: Self.now())
        return partitions.withLock { partitions in
            partitions.clock += 1
            if let raced = partitions.open[key] { return raced.partition }
            partitions.open[key] = Open(partition: made, used: partitions.clock)
            return made
        }
    }

    // MARK: Writing

    public func append(_ events: [StoredEvent]) throws -> AppendResult { try store(events, keepingArrivals: false) }

    /// An append files lines; what a block's columns and filter hold is read from them.
    public var appendReadsEventFields: Bool { false }

    /// Appends events another store holds, keeping their arrival numbers (``StoredEvent/arrival``): what a
    /// migration does, in arrival order, so that a tail resumes where it was.
    package func append(importing events: [StoredEvent]) throws -> AppendResult { try store(events, keepingArrivals: true) }

    /// Keeps `arrival` as the tenant's floor (when higher than what it has): its numbers go on after it.
    package func keepArrivalFloor(_ arrival: Int64, tenant: String) throws {
        try writing.withLock { _ in
            guard arrival > newestArrival(tenant: tenant) else { return }
            state.withLock { $0[tenant, default: Tenant()].lastArrival = arrival }
            try keepFloor(tenant)
        }
    }

    private func store(_ events: [StoredEvent], keepingArrivals: Bool) throws -> AppendResult {
        try writing.withLock { _ in
            // A batch is mostly of one tenant-day: an event of the same as the one before is not looked up, and a
            // tenant's name is checked once. (Events are read field by field: copying one copies all its strings.)
            var groups: [Key: [Int]] = [:]
            var current: Key?
            var members: [Int] = []
            for index in events.indices {
                let tenant = events[index].tenant
                let day = StoreFiles.day(of: events[index].timestamp)
                if let known = current, known.day == day, known.tenant == tenant {
                    members.append(index)
                    continue
                }
                if let known = current { groups[known, default: []] += members }
                if current?.tenant != tenant {
                    guard TenantName.isValid(tenant) else { throw StoredEventError.invalid("tenant", tenant) }
                }
                current = Key(tenant: tenant, day: day)
                members = [index]
            }
            if let known = current { groups[known, default: []] += members }
            var result = AppendResult(stored: 0, duplicates: 0)
            for key in groups.keys.sorted(by: { ($0.tenant, $0.day) < ($1.tenant, $1.day) }) {
                let partition = try partition(key, creating: true)!
                var last = state.withLock { $0[key.tenant]?.lastArrival ?? 0 }
                let members = groups[key]!
                let candidates = members.map { EventKey(timestamp: events[$0].timestamp, eventID: events[$0].eventID) }
                // New events are claimed (a duplicate of a stored one, or of one before it in the batch, is not).
                let fresh = partition.claim(candidates)
                var records: [HeadLogRecords.Record] = []
                var keys: [EventKey] = []
                records.reserveCapacity(members.count)
                keys.reserveCapacity(members.count)
                for (position, index) in members.enumerated() {
                    guard fresh[position] else {
                        result.duplicates += 1
                        continue
                    }
                    let seq: Int64
                    if keepingArrivals {
                        seq = events[index].arrival
                        last = max(last, seq)
                    } else {
                        last += 1
                        seq = last
                    }
                    records.append(HeadLogRecords.Record(seq: seq, timestamp: candidates[position].timestamp, line: events[index].line))
                    keys.append(candidates[position])
                }
                // The claims left (of events in no block) are taken here, even by an append of none.
                try partition.append(records, claimed: keys, now: Self.now(), flushing: false)
                guard !records.isEmpty else { continue }
                // In the head now: their arrival numbers are taken, whatever happens next.
                state.withLock {
                    $0[key.tenant, default: Tenant()].days[key.day] = last
                    $0[key.tenant, default: Tenant()].lastArrival = last
                }
                if partition.isOverfull {
                    // The background flush has fallen behind (or cannot write): this append waits for it, and fails
                    // with it. Its events are kept; a retry finds them stored.
                    try partition.tick(now: Self.now())
                } else if partition.needsFlush(now: Self.now()) {
                    flushInBackground(partition)
                }
                result.stored += records.count
            }
            try keepHeadsWithinLimit()
            return result
        }
    }

    /// Queues a flush of `partition`, unless one is queued already. A flush that fails is reported (`flushFailed`) and
    /// leaves the events in the head and its log; the next append queues it again, and appends wait once the head is
    /// overfull.
    private func flushInBackground(_ partition: BlockPartition) {
        guard queued.withLock({ $0.insert(partition.directory).inserted }) else { return }
        flusher.async { [self] in
            queued.withLock { _ = $0.remove(partition.directory) }
            do {
                try partition.tick(now: Self.now())
            } catch {
                flushFailed(partition.directory, error)
            }
        }
    }

    /// Returns once the flushes queued so far are done (tests look at files after it).
    package func settle() { flusher.sync {} }

    /// How many days are open now.
    package var openDays: Int { partitions.withLock { $0.open.count } }

    /// The lines' bytes all heads hold now.
    package var headBytes: Int { partitions.withLock { $0.open.values.reduce(0) { $0 + $1.partition.headBytes } } }

    /// Flushes the biggest heads while all of them together hold more than the limit, down to half of it.
    private func keepHeadsWithinLimit() throws {
        let open = partitions.withLock { $0.open.values.map(\.partition) }
        var sizes = open.map { ($0, $0.headBytes) }
        var total = sizes.reduce(0) { $0 + $1.1 }
        guard total > limits.headBytes else { return }
        sizes.sort { $0.1 > $1.1 }
        for (partition, bytes) in sizes where total > limits.headBytes / 2 {
            try partition.tick(now: Self.now(), closing: true)
            total -= bytes
        }
    }

    /// What `keel serve` calls every second: flushes the heads whose oldest event has waited long enough, merges
    /// small blocks for up to `mergeTime` (seconds), and closes the idle days least recently used beyond the limit
    /// of open days. Appends and reads go on meanwhile. A day whose flush fails is reported (`flushFailed`); the
    /// others are flushed and merged all the same.
    public func maintain(mergeTime: Double = 0.2) throws {
        try maintaining.withLock { _ in
            let open = partitions.withLock { $0.open.values.map(\.partition) }
            // A day whose flush fails is reported and the others go on.
            for partition in open {
                do {
                    try partition.tick(now: Self.now())
                } catch {
                    flushFailed(partition.directory, error)
                }
            }
            let deadline = Self.now() + Int64(mergeTime * 1_000_000)
            for partition in open {
                while Self.now() < deadline, try partition.mergeSmallBlocks() {}
            }
            // Closing a day waits for appends, so that none is using it.
            writing.withLock { _ in
                partitions.withLock { partitions in
                    // Least recently used first, while there are too many days open or their filters take too much.
                    var count = partitions.open.count
                    var bytes = partitions.open.values.reduce(0) { $0 + $1.partition.indexBytes }
                    let idle = partitions.open.filter { $0.value.partition.isIdle }.sorted { $0.value.used < $1.value.used }
                    for (key, open) in idle where count > limits.openPartitions || bytes > limits.indexBytes {
                        partitions.open[key] = nil
                        count -= 1
                        bytes -= open.partition.indexBytes
                    }
                }
            }
        }
    }

    /// Flushes every head into blocks: what a clean shutdown does, so that a restart has no log to replay.
    public func flush() throws {
        settle()
        try writing.withLock { _ in
            for partition in partitions.withLock({ $0.open.values.map(\.partition) }) { try partition.tick(now: Self.now(), closing: true) }
        }
    }

    // MARK: Reading

    /// The tenant's days that `query`'s range reaches, oldest first.
    private func days(_ query: EventQuery) -> [Int] {
        let fromDay = query.from.map(StoreFiles.day(of:)) ?? .min
        let toDay = query.to.map { StoreFiles.day(of: $0 == .min ? $0 : $0 - 1) } ?? .max
        let after = query.arrivedAfter ?? .min
        return state.withLock { $0[query.tenant]?.days ?? [:] }.filter { $0.key >= fromDay && $0.key <= toDay && $0.value > after }.keys.sorted()
    }

    /// What the day's blocks can be ruled out by, for `query`.
    private static func narrowing(_ query: EventQuery) -> BlockPartition.Narrowing {
        BlockPartition.Narrowing(
            from: query.from, to: query.to, ids: query.ids.map { ($0.key, $0.value) }, text: query.text.flatMap { $0.isEmpty ? nil : $0 },
            lines: query.lineContains, arrivedAfter: query.arrivedAfter)
    }

    /// Reads the day's rows `narrowing` admits, in `order`, reporting damaged blocks; returns whether it went to the end.
    private func rows(
        _ key: Key, _ narrowing: BlockPartition.Narrowing, order: BlockPartition.RowOrder, _ body: (EventBlock.Row) -> Bool
    ) throws -> Bool {
        guard let partition = try partition(key) else { return true }
        return report(key, partition.rows(narrowing, order: order, body))
    }

    /// Logs each damaged block once; returns `finished`.
    private func report(_ key: Key, _ read: (finished: Bool, damaged: [BlockPartition.Damage])) -> Bool {
        for (file, error) in read.damaged {
            let path = path(key.tenant, key.day) + "/" + file
            if reported.withLock({ $0.insert(path).inserted }) { damaged(path, error) }
        }
        return read.finished
    }

    public func events(_ query: EventQuery) throws -> EventPage {
        let limit = max(1, min(query.limit, 10_000))
        let matcher = EventMatcher(query)
        if let arrival = query.arrivedAfter {
            var found: [StoredEvent] = []
            for day in days(query) {
                _ = try rows(Key(tenant: query.tenant, day: day), Self.narrowing(query), order: .any) { row in
                    if row.seq > arrival, let event = matcher.event(row, tenant: query.tenant, day: day) { found.append(event) }
                    return true
                }
            }
            found.sort { $0.arrival < $1.arrival }
            return EventPage(events: Array(found.prefix(limit)), next: nil)
        }
        var found: [StoredEvent] = []
        var narrowing = Self.narrowing(query)
        for day in days(query) where day >= (query.after?.day ?? .min) {
            let after = query.after.flatMap { $0.day == day ? $0 : nil }
            if let after { narrowing.from = max(narrowing.from ?? .min, after.timestamp) }
            let finished = try rows(Key(tenant: query.tenant, day: day), narrowing, order: .oldestFirst) { row in
                if let after, (row.timestamp, row.seq) <= (after.timestamp, after.seq) { return true }
                if let event = matcher.event(row, tenant: query.tenant, day: day) { found.append(event) }
                return found.count <= limit
            }
            if !finished { break }
        }
        let more = found.count > limit
        if more { found.removeLast(found.count - limit) }
        return EventPage(events: found, next: more ? found.last?.cursor : nil)
    }

    public func scan(
        _ query: EventQuery, order: ScanOrder, _ body: (_ timestamp: Int64, _ line: UnsafeBufferPointer<UInt8>) -> Bool
    ) throws {
        var query = query
        query.arrivedAfter = nil
        let matcher = EventMatcher(query)
        let rowOrder: BlockPartition.RowOrder =
            switch order {
            case .oldestFirst: .oldestFirst
            case .newestFirst: .newestFirst
            case .any: .any
            }
        let days = days(query)
        for day in order == .newestFirst ? days.reversed() : days {
            let finished = try rows(Key(tenant: query.tenant, day: day), Self.narrowing(query), order: rowOrder) { row in
                if matcher.filters, matcher.event(row, tenant: query.tenant, day: day) == nil { return true }
                return row.line.withUnsafeBufferPointer { body(row.timestamp, $0) }
            }
            if !finished { return }
        }
    }

    /// Members read from blocks' columns, without building lines, when `query` asks only for a range; otherwise
    /// picked from the lines its filters keep.
    public func scanMembers(
        _ query: EventQuery, names: [String], _ body: (_ timestamp: Int64, _ members: [UnsafeBufferPointer<UInt8>?]) -> Bool
    ) throws {
        var query = query
        query.arrivedAfter = nil
        guard !EventMatcher(query).filters else { return try lineMembers(query, names: names, body) }
        let narrowing = BlockPartition.Narrowing(from: query.from, to: query.to)
        for day in days(query) {
            let key = Key(tenant: query.tenant, day: day)
            guard let partition = try partition(key) else { continue }
            guard report(key, partition.members(narrowing, names: names, body)) else { return }
        }
    }

    public func newestArrival(tenant: String) -> Int64 { state.withLock { $0[tenant]?.lastArrival ?? 0 } }

    public func tenants() throws -> [String] { state.withLock { $0.filter { !$0.value.days.isEmpty }.keys.sorted() } }

    public func sizeInBytes() -> Int64 { StoreFiles.bytes(under: directory + "/blocks") }

    // MARK: Deleting

    public func forget(_ request: ForgetRequest, dryRun: Bool) throws -> Int {
        try writing.withLock { _ in
            let tenant = request.tenant
            let days = state.withLock { $0[tenant]?.days ?? [:] }.keys.sorted()
            switch request {
            case .user(_, let userID):
                var total = 0
                if !dryRun { try keepFloor(tenant) }
                let matcher = EventMatcher(EventQuery(tenant: tenant, ids: [.userID: userID]))
                for day in days {
                    let key = Key(tenant: tenant, day: day)
                    var doomed: Set<Int64> = []
                    _ = try rows(key, BlockPartition.Narrowing(ids: [(.userID, userID)]), order: .any) { row in
                        if matcher.event(row, tenant: tenant, day: day) != nil { doomed.insert(row.seq) }
                        return true
                    }
                    total += doomed.count
                    if !dryRun, !doomed.isEmpty, let partition = try partition(key) {
                        _ = try partition.erase { doomed.contains($0.seq) }
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
            let lastWholeDay = StoreFiles.day(of: cutoff) - 1
            let days = state.withLock { $0[tenant]?.days ?? [:] }.keys.filter { $0 <= lastWholeDay }.sorted()
            let total = try count(tenant, days)
            try drop(tenant, days)
            return total
        }
    }

    private func count(_ tenant: String, _ days: [Int]) throws -> Int {
        var total = 0
        for day in days {
            _ = try rows(Key(tenant: tenant, day: day), BlockPartition.Narrowing(), order: .any) { _ in
                total += 1
                return true
            }
        }
        return total
    }

    /// Deletes whole days (called while writing), keeping the tenant's arrival floor first.
    private func drop(_ tenant: String, _ days: [Int]) throws {
        guard !days.isEmpty else { return }
        try keepFloor(tenant)
        for day in days {
            let key = Key(tenant: tenant, day: day)
            partitions.withLock { _ = $0.open.removeValue(forKey: key) }
            state.withLock { _ = $0[tenant]?.days.removeValue(forKey: day) }
            try? FileManager.default.removeItem(atPath: path(tenant, day))
            cache.remove(under: path(tenant, day))
        }
    }
}
