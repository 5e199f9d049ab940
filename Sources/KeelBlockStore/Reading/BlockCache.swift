import Synchronization

/// Decoded blocks, kept for the reads and appends that come back to them: a lookup after a lookup, a page after a
/// page, a retried batch checked against the block it went into. Bounded by the bytes of the lines it holds; the
/// block used longest ago goes first. Keyed by the block file's path and which writing of it the rows are
/// (``BlockPartition/Block``'s generation), so a file rewritten by an erasure is never answered with its old rows.
package final class BlockCache: Sendable {
    private struct Entry {
        var rows: [EventBlock.Row]
        var bytes: Int
        var used: UInt64
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var bytes = 0
        var clock: UInt64 = 0
    }

    /// The most line bytes kept (each row also costs about 48 bytes besides its line; counted too).
    package let capacity: Int
    private let state = Mutex(State())

    package init(capacity: Int = 64 << 20) {
        self.capacity = capacity
    }

    /// The rows kept under `key` (a block file's path and generation): the cached ones, or `load`'s, kept for next
    /// time.
    package func rows(_ key: String, load: () throws -> [EventBlock.Row]) throws -> [EventBlock.Row] {
        if let cached = cached(key) { return cached }
        let rows = try load()
        let bytes = rows.reduce(0) { $0 + $1.line.count + 48 }
        guard bytes <= capacity / 4 else { return rows }
        state.withLock { state in
            state.clock += 1
            if let old = state.entries.updateValue(Entry(rows: rows, bytes: bytes, used: state.clock), forKey: key) {
                state.bytes -= old.bytes
            }
            state.bytes += bytes
            while state.bytes > capacity, let oldest = state.entries.min(by: { $0.value.used < $1.value.used }) {
                state.bytes -= oldest.value.bytes
                state.entries[oldest.key] = nil
            }
        }
        return rows
    }

    /// The rows kept under `key`, if they are (counted as a use).
    package func cached(_ key: String) -> [EventBlock.Row]? {
        state.withLock { state in
            state.clock += 1
            guard state.entries[key] != nil else { return nil }
            state.entries[key]!.used = state.clock
            return state.entries[key]!.rows
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

    /// The line bytes held now.
    package var bytes: Int { state.withLock { $0.bytes } }
}
