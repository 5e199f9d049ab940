import Synchronization

/// The newest events of one tenant-day, not yet in a block: in memory, where queries and tails read them at once,
/// and in a write-ahead log (``HeadLog``), so that an acknowledged event survives a crash.
///
/// Flushing is two steps, so that a crash between them loses nothing and repeats nothing: ``pending()`` hands over
/// the events to write into a block (the caller writes it durably), then ``flushed(through:)`` drops them here and
/// empties the log. If the process dies before the second step, the log still holds them on restart; the partition
/// then opens the head with the arrival number its blocks already reach (`flushedThrough`), and the head keeps only
/// what came after.
package final class Head: Sendable {
    private struct State {
        let log: HeadLog
        var records: [HeadLogRecords.Record]
        /// The key of each record, in the same order.
        var recordKeys: [EventKey]
        var bytes: Int
        /// The line bytes the log holds: the records', and those of records flushed since it was last rewritten.
        var logged: Int
        /// When (µs, wall clock) the oldest event still here arrived.
        var oldestArrival: Int64?
        /// The key of each event here, and of each claimed by an append under way (``claim(_:)``): an append's
        /// duplicate check.
        var keys: Set<EventKey>
        /// How many keys are claimed and not yet appended or released.
        var claims = 0

        /// Keeps the records `kept` marks (one flag per record), and their keys; forgets the others' keys.
        mutating func keep(_ kept: [Bool]) {
            // A flush drops the oldest arrivals: a run from the start, moved out of the arrays rather than copied.
            let dropped = kept.firstIndex(of: true) ?? kept.count
            if !kept[dropped...].contains(false) {
                for index in 0..<dropped { bytes -= records[index].length }
                if dropped > records.count - dropped, claims == 0 {
                    // Fewer keys stay than go (a flush takes a block's worth): the stayers are filed afresh, in room
                    // for the head to fill up again without growing. (Not while an append holds claims: they are
                    // in the set only.)
                    var staying = Set<EventKey>(minimumCapacity: keys.capacity)
                    for index in dropped..<records.count { staying.insert(recordKeys[index]) }
                    keys = staying
                } else {
                    for index in 0..<dropped { keys.remove(recordKeys[index]) }
                }
                records.removeFirst(dropped)
                recordKeys.removeFirst(dropped)
                return
            }
            var left: [HeadLogRecords.Record] = []
            var leftKeys: [EventKey] = []
            for (index, (record, key)) in zip(records, recordKeys).enumerated() {
                if kept[index] {
                    left.append(record)
                    leftKeys.append(key)
                } else {
                    keys.remove(key)
                }
            }
            records = left
            recordKeys = leftKeys
            bytes = left.reduce(0) { $0 + $1.length }
        }
    }

    /// How many line bytes of records already flushed the log may hold (and at least as many as the head holds)
    /// before it is rewritten without them. A rewrite copies what the head holds, so doing it only then costs
    /// appends little; opening the log after a crash skips the flushed records (their arrival numbers are in blocks).
    private let flushedBytesKept: Int

    private let state: Mutex<State>

    /// Opens the head whose log is at `path`, keeping the logged events after arrival number `flushedThrough`;
    /// `now` (µs) stands for when they arrived.
    package init(
        path: String, durability: HeadLog.Durability, flushedThrough: Int64, now: Int64, flushedBytesKept: Int = 8 << 20
    ) throws(FileFailure) {
        self.flushedBytesKept = flushedBytesKept
        let log = try HeadLog(path: path, durability: durability)
        let kept = log.recovered.filter { $0.seq > flushedThrough }
        let recordKeys = kept.map { EventKey(timestamp: $0.timestamp, line: $0.line) }
        let keys = Set(recordKeys)
        let bytes = kept.reduce(0) { $0 + $1.length }
        state = Mutex(
            State(
                log: log, records: kept, recordKeys: recordKeys, bytes: bytes, logged: log.recovered.reduce(0) { $0 + $1.length },
                oldestArrival: kept.isEmpty ? nil : now, keys: keys))
    }

    /// Claims the keys of events an append is about to log: returns, for each, whether it is new — neither here nor
    /// claimed before (in `keys`, or by an append under way). One lookup a key is the whole duplicate check of the
    /// head, and an event claimed is a duplicate to any other append until it is appended
    /// (``append(_:claimed:now:)``) or released (``release(_:)``).
    package func claim(_ keys: [EventKey]) -> [Bool] {
        state.withLock { state in
            let fresh = keys.map { state.keys.insert($0).inserted }
            state.claims += fresh.count { $0 }
            return fresh
        }
    }

    /// Gives up claims of keys found stored elsewhere (in a block).
    package func release(_ keys: [EventKey]) {
        state.withLock { state in
            for key in keys { state.keys.remove(key) }
            state.claims -= keys.count
        }
    }

    /// Logs `records` (durably, as the log's durability says) and then keeps them, with their events' keys: the
    /// claimed ones (``claim(_:)``, one per record: every claim not released), or, when `nil`, those read from the
    /// lines. Throws, keeping nothing and releasing the claims, when the log cannot be written.
    package func append(_ records: [HeadLogRecords.Record], claimed: [EventKey]? = nil, now: Int64) throws(FileFailure) {
        try state.withLock { state throws(FileFailure) in
            state.claims -= claimed?.count ?? 0
            guard !records.isEmpty else { return }
            do throws(FileFailure) {
                try state.log.append(records)
            } catch {
                for key in claimed ?? [] { state.keys.remove(key) }
                throw error
            }
            if let claimed {
                state.recordKeys += claimed
            } else {
                for record in records {
                    let key = EventKey(timestamp: record.timestamp, line: record.line)
                    state.keys.insert(key)
                    state.recordKeys.append(key)
                }
            }
            state.records += records
            let bytes = records.reduce(0) { $0 + $1.length }
            state.bytes += bytes
            state.logged += bytes
            if state.oldestArrival == nil { state.oldestArrival = now }
        }
    }

    /// Whether an event with `key` is here.
    package func holds(_ key: EventKey) -> Bool { state.withLock { $0.keys.contains(key) } }

    /// How many events are here, and their lines' bytes.
    package var size: (events: Int, bytes: Int) { state.withLock { ($0.records.count, $0.bytes) } }

    /// The events here, in arrival order: what a query or a tail reads of the head.
    package var records: [HeadLogRecords.Record] { state.withLock { $0.records } }

    /// Whether to flush now, by `policy`.
    package func decide(_ policy: FlushPolicy, now: Int64, closing: Bool = false) -> FlushPolicy.Decision {
        state.withLock { policy.decide(rows: $0.records.count, bytes: $0.bytes, oldest: $0.oldestArrival, now: now, closing: closing) }
    }

    /// The events to write into a block, oldest first by time then arrival: at most `limit` of those that arrived
    /// first (a block's size), and the last arrival number among them.
    package func pending(limit: Int) -> (records: [HeadLogRecords.Record], through: Int64)? {
        state.withLock { state in
            let taken = state.records.prefix(limit)
            guard let last = taken.last?.seq else { return nil }
            return (taken.sorted { ($0.timestamp, $0.seq) < ($1.timestamp, $1.seq) }, last)
        }
    }

    /// Drops the events `doomed` picks, from memory and from the log (rewritten at once, so that no byte of theirs
    /// stays in it); returns how many.
    package func erase(where doomed: (HeadLogRecords.Record) -> Bool) throws(FileFailure) -> Int {
        try state.withLock { state throws(FileFailure) in
            let kept = state.records.map { !doomed($0) }
            let left = state.records.indices.filter { kept[$0] }.map { state.records[$0] }
            let erased = state.records.count - left.count
            // Flushed records still in the log may be erased ones too: the log is rewritten whenever it has any.
            guard erased > 0 || state.logged > state.bytes else { return 0 }
            try state.log.replace(with: left)
            state.keep(kept)
            state.logged = state.bytes
            if left.isEmpty { state.oldestArrival = nil }
            return erased
        }
    }

    /// Drops the events through arrival number `seq`, which are in a block now. The log is emptied when nothing is
    /// left, and rewritten with what is left once the flushed records in it outgrow what the head holds and
    /// `flushedBytesKept` (at once: ``HeadLog/replace(with:)``); until then, opening it skips them.
    package func flushed(through seq: Int64, now: Int64) throws(FileFailure) {
        try state.withLock { state throws(FileFailure) in
            state.keep(state.records.map { $0.seq > seq })
            if state.records.isEmpty {
                try state.log.reset()
                state.logged = 0
            } else if state.logged - state.bytes > max(state.bytes, flushedBytesKept) {
                try state.log.replace(with: state.records)
                state.logged = state.bytes
            }
            state.oldestArrival = state.records.isEmpty ? nil : now
        }
    }
}
