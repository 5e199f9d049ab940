import Foundation
package import KeelStore
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
    /// Held while the files change (a flush moves events from the head into a block; an erasure rewrites blocks)
    /// and while a read takes its view of blocks and head, so that a read never sees an event twice or not at all.
    private let files = Mutex<Void>(())

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
        try files.withLock { _ in try flushHoldingFiles(now: now) }
    }

    private func flushHoldingFiles(now: Int64) throws -> Bool {
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
        try files.withLock { _ in try eraseHoldingFiles(where: doomed) }
    }

    private func eraseHoldingFiles(where doomed: (HeadLogRecords.Record) -> Bool) throws -> Int {
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

    /// What a read can rule blocks out by, before decoding them: a time range (µs, `to` exclusive), id values every
    /// event must have, and text every message must contain (ignoring case).
    package struct Narrowing: Sendable {
        package var from: Int64?
        package var to: Int64?
        package var ids: [(field: IDField, value: String)] = []
        package var text: String?

        package init(from: Int64? = nil, to: Int64? = nil, ids: [(field: IDField, value: String)] = [], text: String? = nil) {
            self.from = from
            self.to = to
            self.ids = ids
            self.text = text
        }

        /// Whether a block with this header and filter may hold an event the read wants.
        func admits(_ header: EventBlock.Header, _ filter: BlockFilter) -> Bool {
            if let from, header.last < from { return false }
            if let to, header.first >= to { return false }
            for (field, value) in ids where !filter.mightContain(field, value) { return false }
            if let text, !filter.mightContain(text: text) { return false }
            return true
        }
    }

    /// The events here with their arrival numbers: those of the blocks `narrowing` does not rule out by their
    /// headers and filters (each checked; a damaged one is reported in `damaged` and skipped), then the head's. The
    /// caller still tests each event: a block that is read may hold others too.
    package func events(_ narrowing: Narrowing = Narrowing()) -> (events: [HeadLogRecords.Record], damaged: [(file: String, error: any Error)]) {
        files.withLock { _ in eventsHoldingFiles(narrowing) }
    }

    private func eventsHoldingFiles(_ narrowing: Narrowing) -> (events: [HeadLogRecords.Record], damaged: [(file: String, error: any Error)]) {
        var out: [HeadLogRecords.Record] = []
        var damaged: [(file: String, error: any Error)] = []
        for file in blockFiles {
            do {
                let (filter, block) = try BlockFile.read(try DurableFiles.read(directory + "/" + file.name))
                guard narrowing.admits(try EventBlock.header(block), filter) else { continue }
                out += try EventBlock.decode(block).map { HeadLogRecords.Record(seq: $0.seq, timestamp: $0.timestamp, line: $0.line) }
            } catch {
                damaged.append((file.name, error))
            }
        }
        return (out + head.records, damaged)
    }
}
