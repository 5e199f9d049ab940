import Synchronization

/// Decoded blocks, kept for the reads and appends that come back to them: a lookup after a lookup, a page after a
/// page, a retried batch checked against the block it went into. A block is kept as its columns
/// (``BlockColumns``), from which a read rebuilds the lines it wants, and with all its lines too once a read has
/// rebuilt them all (so that a read that comes back for the whole block does not rebuild them again). Bounded by
/// the bytes these take; the block used longest ago goes first. Keyed by the block file's path and which writing of
/// it this is (``BlockPartition/Block``'s generation), so a file rewritten by an erasure is never answered with its
/// old rows.
package final class BlockCache: Sendable {
    private struct Entry {
        var columns: BlockColumns
        var rows: [EventBlock.Row]?
        var bytes: Int
        var used: UInt64
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var bytes = 0
        var clock: UInt64 = 0
    }

    /// The most bytes kept: columns, lines, and about 48 bytes a row besides its line.
    package let capacity: Int
    private let state = Mutex(State())

    package init(capacity: Int = 64 << 20) {
        self.capacity = capacity
    }

    /// The columns kept under `key` (a block file's path and generation), with all the rows if they are kept too;
    /// or `load`'s columns, kept for next time.
    package func block(_ key: String, load: () throws -> BlockColumns) throws -> (columns: BlockColumns, rows: [EventBlock.Row]?) {
        if let cached = state.withLock({ state in Self.use(key, &state) }) { return (cached.columns, cached.rows) }
        let columns = try load()
        keep(key, Entry(columns: columns, rows: nil, bytes: columns.bytes, used: 0))
        return (columns, nil)
    }

    /// The columns kept under `key`, or `load`'s, kept for next time.
    package func columns(_ key: String, load: () throws -> BlockColumns) throws -> BlockColumns {
        try block(key, load: load).columns
    }

    /// All the rows kept under `key`: the cached ones, or those rebuilt from its columns (the cached ones, or
    /// `load`'s), kept for next time.
    package func rows(_ key: String, load: () throws -> BlockColumns) throws -> [EventBlock.Row] {
        let (columns, cached) = try block(key, load: load)
        if let cached { return cached }
        let rows = columns.rows { _ in true }
        keep(key, Entry(columns: columns, rows: rows, bytes: columns.bytes + rows.reduce(0) { $0 + $1.line.count + 48 }, used: 0))
        return rows
    }

    private static func use(_ key: String, _ state: inout State) -> Entry? {
        state.clock += 1
        guard state.entries[key] != nil else { return nil }
        state.entries[key]!.used = state.clock
        return state.entries[key]!
    }

    private func keep(_ key: String, _ entry: Entry) {
        guard entry.bytes <= capacity / 4 else { return }
        state.withLock { state in
            state.clock += 1
            var entry = entry
            entry.used = state.clock
            if let old = state.entries.updateValue(entry, forKey: key) { state.bytes -= old.bytes }
            state.bytes += entry.bytes
            while state.bytes > capacity, let oldest = state.entries.min(by: { $0.value.used < $1.value.used }) {
                state.bytes -= oldest.value.bytes
                state.entries[oldest.key] = nil
            }
        }
    }

    /// Forgets the rows kept under `key`.
    package func remove(_ key: String) {
        state.withLock { state in
            if let old = state.entries.removeValue(forKey: key) { state.bytes -= old.bytes }
        }
    }

    /// Forgets every block under `directory` (a dropped day).
    package func remove(under directory: String) {
        state.withLock { state in
            for (path, entry) in state.entries where path.hasPrefix(directory + "/") {
                state.bytes -= entry.bytes
                state.entries[path] = nil
            }
        }
    }

    /// The bytes held now.
    package var bytes: Int { state.withLock { $0.bytes } }
}
