import Foundation
import Synchronization

/// One tenant's day in store v2: a directory holding its head's log (`head.log`) and its block files
/// (``BlockFile``). Appends go to the head; when ``FlushPolicy`` says so, the head's oldest events are written into
/// a block file, and only then dropped from the head.
///
/// On opening, the block files' names say which arrival numbers are in blocks already, and the head keeps only the
/// logged events after those: a crash between writing a block and emptying the log repeats nothing. A temporary file
/// a crash left behind is removed.
package final class BlockPartition: Sendable {
    package let directory: String
    private let head: Head
    private let policy: FlushPolicy
    private let blocks: Mutex<[BlockFile]>

    package init(directory: String, durability: HeadLog.Durability, policy: FlushPolicy = FlushPolicy(), now: Int64) throws {
        let files = FileManager.default
        try files.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var found: [BlockFile] = []
        for name in try files.contentsOfDirectory(atPath: directory) {
            if name.hasSuffix(".tmp") {
                try? files.removeItem(atPath: directory + "/" + name)
            } else if let block = BlockFile(name: name) {
                found.append(block)
            }
        }
        found.sort { $0.firstSeq < $1.firstSeq }
        self.directory = directory
        self.policy = policy
        blocks = Mutex(found)
        head = try Head(path: directory + "/head.log", durability: durability, flushedThrough: found.last?.lastSeq ?? 0, now: now)
    }

    /// The block files, oldest first.
    package var blockFiles: [BlockFile] { blocks.withLock { $0 } }

    /// How many events the head holds.
    package var headSize: Int { head.size.events }

    /// Appends `records` (durably, before returning), then flushes if the policy says so.
    package func append(_ records: [HeadLogRecords.Record], now: Int64) throws {
        try head.append(records, now: now)
        try tick(now: now)
    }

    /// Flushes if the policy says so at `now` (a timer's tick) or, with `closing`, whatever the head holds.
    package func tick(now: Int64, closing: Bool = false) throws {
        while case .flush = head.decide(policy, now: now, closing: closing) {
            guard try flush(now: now) else { return }
        }
    }

    /// Writes the head's oldest events (a block's worth) into a block file; returns whether there were any.
    @discardableResult
    package func flush(now: Int64) throws -> Bool {
        guard let pending = head.pending(limit: policy.maximumRows) else { return false }
        let rows = pending.records.map { EventBlock.Row(timestamp: $0.timestamp, line: $0.line, seq: $0.seq) }
        let file = BlockFile(firstSeq: pending.records.map(\.seq).min()!, lastSeq: pending.through)
        try DurableFiles.write(try BlockFile.contents(rows), to: directory + "/" + file.name)
        blocks.withLock { $0.append(file) }
        try head.flushed(through: pending.through, now: now)
        return true
    }

    /// The newest arrival number here (0 when empty).
    package var newestArrival: Int64 {
        max(blockFiles.map(\.lastSeq).max() ?? 0, head.records.map(\.seq).max() ?? 0)
    }

    /// Deletes the events `doomed` picks, from every block file (each rewritten without them, or removed when none
    /// is left: no byte of theirs stays in a file of the store) and from the head; returns how many.
    package func erase(where doomed: (HeadLogRecords.Record) -> Bool) throws -> Int {
        var erased = 0
        for file in blockFiles {
            let path = directory + "/" + file.name
            let rows = try EventBlock.decode(try BlockFile.read(try DurableFiles.read(path)).block)
            let kept = rows.filter { !doomed(HeadLogRecords.Record(seq: $0.seq, timestamp: $0.timestamp, line: $0.line)) }
            guard kept.count < rows.count else { continue }
            erased += rows.count - kept.count
            if kept.isEmpty {
                try FileManager.default.removeItem(atPath: path)
                blocks.withLock { $0.removeAll { $0 == file } }
            } else {
                // The file keeps its name: its range of arrival numbers still bounds what it holds.
                try DurableFiles.write(try BlockFile.contents(kept), to: path)
            }
        }
        return erased + (try head.erase(where: doomed))
    }

    /// Every event here with its arrival number: the blocks' (each checked; a damaged one is reported in
    /// `damaged` and skipped) and then the head's.
    package func events() -> (events: [HeadLogRecords.Record], damaged: [(file: String, error: any Error)]) {
        var out: [HeadLogRecords.Record] = []
        var damaged: [(file: String, error: any Error)] = []
        for file in blockFiles {
            do {
                let (_, block) = try BlockFile.read(try DurableFiles.read(directory + "/" + file.name))
                let rows = try EventBlock.decode(block)
                out += rows.map { HeadLogRecords.Record(seq: $0.seq, timestamp: $0.timestamp, line: $0.line) }
            } catch {
                damaged.append((file.name, error))
            }
        }
        return (out + head.records, damaged)
    }
}
