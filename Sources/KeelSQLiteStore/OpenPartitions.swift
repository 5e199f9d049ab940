import KeelStore
import Foundation
import Synchronization

/// The partitions kept open, at most ``limit`` of them: each holds SQLite connections and file descriptors, and a
/// store with dozens of tenants and a month of retention has thousands of day files. A partition is opened when a
/// read or an append needs it and closed, least recently used first, once it is over the limit and nobody is using
/// it.
final class OpenPartitions: Sendable {
    struct Key: Hashable, Sendable {
        let tenant: String
        let day: Int
    }

    private struct Entry {
        let partition: Partition
        var users: Int
        var lastUsed: UInt64
    }

    let limit: Int
    private let entries = Mutex<(open: [Key: Entry], clock: UInt64)>(([:], 0))

    init(limit: Int) { self.limit = max(1, limit) }

    /// Runs `body` with the partition of `key`, opened with `open` if it is not open; it stays open while `body` runs.
    func using<T>(_ key: Key, open: () throws -> Partition, _ body: (Partition) throws -> T) throws -> T {
        let partition = try checkout(key, open: open)
        defer { checkin(key) }
        return try body(partition)
    }

    private func checkout(_ key: Key, open: () throws -> Partition) throws -> Partition {
        if let found = entries.withLock({ state -> Partition? in
            state.clock += 1
            guard var entry = state.open[key] else { return nil }
            entry.users += 1
            entry.lastUsed = state.clock
            state.open[key] = entry
            return entry.partition
        }) {
            return found
        }
        // Opened outside the lock (it reads the file); if another caller opened it meanwhile, theirs is used.
        let opened = try open()
        let (partition, spare) = entries.withLock { state -> (Partition, Partition?) in
            state.clock += 1
            if var entry = state.open[key] {
                entry.users += 1
                entry.lastUsed = state.clock
                state.open[key] = entry
                return (entry.partition, opened)
            }
            state.open[key] = Entry(partition: opened, users: 1, lastUsed: state.clock)
            return (opened, nil)
        }
        try? spare?.close()
        return partition
    }

    private func checkin(_ key: Key) {
        let idle = entries.withLock { state -> [Partition] in
            state.open[key]?.users -= 1
            // Over the limit: close the least recently used of those nobody is using.
            var closing: [Partition] = []
            while state.open.count > limit,
                let oldest = state.open.filter({ $0.value.users == 0 }).min(by: { $0.value.lastUsed < $1.value.lastUsed })
            {
                closing.append(oldest.value.partition)
                state.open.removeValue(forKey: oldest.key)
            }
            return closing
        }
        for partition in idle { try? partition.close() }
    }

    /// Closes the partition of `key` for good (its file is about to be deleted), waiting up to 10 s for readers that
    /// are using it to finish. Appends and drops never overlap (the store serialises them), so only reads can wait.
    func close(_ key: Key) throws {
        for _ in 0..<1000 {
            let closing = entries.withLock { state -> (found: Bool, partition: Partition?) in
                guard let entry = state.open[key] else { return (false, nil) }
                guard entry.users == 0 else { return (true, nil) }
                state.open.removeValue(forKey: key)
                return (true, entry.partition)
            }
            if !closing.found { return }
            if let partition = closing.partition {
                try partition.close()
                return
            }
            usleep(10_000)
        }
        throw OpenPartitionsError.busy
    }

    /// How many partitions are open now.
    var count: Int { entries.withLock { $0.open.count } }
}

enum OpenPartitionsError: Error, CustomStringConvertible {
    case busy
    var description: String { "a partition stayed in use for 10 s and could not be closed; try again" }
}
