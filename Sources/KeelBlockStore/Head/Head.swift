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
        var bytes: Int
        /// When (µs, wall clock) the oldest event still here arrived.
        var oldestArrival: Int64?
        /// The key of each event here, with its arrival number: an append's duplicate check.
        var keys: [EventKey: Int64]

        /// Keeps only `left` of the records (and their keys); `through`, when the others are exactly those up to an
        /// arrival number (a flush), saves looking each key up.
        mutating func keep(_ left: [HeadLogRecords.Record], through: Int64? = nil) {
            if left.count < records.count {
                if let through {
                    keys = keys.filter { $0.value > through }
                } else {
                    let seqs = Set(left.map(\.seq))
                    keys = keys.filter { seqs.contains($0.value) }
                }
            }
            records = left
            bytes = left.reduce(0) { $0 + $1.line.count }
        }
    }

    private let state: Mutex<State>

    /// Opens the head whose log is at `path`, keeping the logged events after arrival number `flushedThrough`;
    /// `now` (µs) stands for when they arrived.
    package init(path: String, durability: HeadLog.Durability, flushedThrough: Int64, now: Int64) throws(FileFailure) {
        let log = try HeadLog(path: path, durability: durability)
        let kept = log.recovered.filter { $0.seq > flushedThrough }
        var keys: [EventKey: Int64] = [:]
        for record in kept { keys[EventKey(timestamp: record.timestamp, line: record.line)] = record.seq }
        state = Mutex(State(log: log, records: kept, bytes: kept.reduce(0) { $0 + $1.line.count }, oldestArrival: kept.isEmpty ? nil : now, keys: keys))
    }

    /// Logs `records` (durably, as the log's durability says) and then keeps them, with their events' `keys` (one
    /// per record, or none to read them from the lines); throws, keeping nothing, when the log cannot be written.
    package func append(_ records: [HeadLogRecords.Record], keys: [EventKey] = [], now: Int64) throws(FileFailure) {
        guard !records.isEmpty else { return }
        try state.withLock { state throws(FileFailure) in
            try state.log.append(records)
            for (index, record) in records.enumerated() {
                state.keys[index < keys.count ? keys[index] : EventKey(timestamp: record.timestamp, line: record.line)] = record.seq
            }
            state.records += records
            state.bytes += records.reduce(0) { $0 + $1.line.count }
            if state.oldestArrival == nil { state.oldestArrival = now }
        }
    }

    /// Whether an event with `key` is here.
    package func holds(_ key: EventKey) -> Bool { state.withLock { $0.keys[key] != nil } }

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

    /// Drops the events `doomed` picks, from memory and from the log (rewritten at once); returns how many.
    package func erase(where doomed: (HeadLogRecords.Record) -> Bool) throws(FileFailure) -> Int {
        try state.withLock { state throws(FileFailure) in
            let left = state.records.filter { !doomed($0) }
            let erased = state.records.count - left.count
            guard erased > 0 else { return 0 }
            try state.log.replace(with: left)
            state.keep(left)
            if left.isEmpty { state.oldestArrival = nil }
            return erased
        }
    }

    /// Drops the events through arrival number `seq`, which are in a block now, and rewrites the log with the ones
    /// left (at once: ``HeadLog/replace(with:)``), so that it never grows past what the head holds.
    package func flushed(through seq: Int64, now: Int64) throws(FileFailure) {
        try state.withLock { state throws(FileFailure) in
            let left = state.records.filter { $0.seq > seq }
            if left.isEmpty { try state.log.reset() } else { try state.log.replace(with: left) }
            state.keep(left, through: seq)
            state.oldestArrival = left.isEmpty ? nil : now
        }
    }
}
