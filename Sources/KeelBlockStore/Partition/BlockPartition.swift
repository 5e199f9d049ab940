import Foundation
package import KeelStore
import Synchronization

/// One tenant's day in store v2: a directory holding its head's log (`head.log`) and its block files
/// (``BlockFile``). Appends go to the head; when ``FlushPolicy`` says so, the head's oldest events are written into
/// a block file, and only then dropped from the head. Small blocks (what a quiet day's age flushes leave) are merged
/// into large ones.
///
/// What a crash leaves is sorted out on opening:
/// - the block files' names say which arrival numbers are in blocks already, and the head keeps only the logged
///   events after those, so a crash between writing a block and emptying the log repeats nothing;
/// - a block whose arrival numbers lie within another's is what a merge left before it removed the blocks it merged,
///   and is removed;
/// - a temporary file is removed.
///
/// Each block's filter and header are kept in memory (``Block``); its rows are read through the store's
/// ``BlockCache``.
package final class BlockPartition: Sendable {
    /// A block file, with what is known of it without reading its rows.
    package struct Block: Sendable {
        package var file: BlockFile
        package var header: EventBlock.Header
        package var filter: BlockFilter
        /// Which writing of the file this is: an erasure rewrites a file under the same name, and the cache must not
        /// hand out its old rows.
        var generation: Int
    }

    /// What reads share with the writers that change files: the blocks, how many reads are under way, and the files
    /// merges replaced, removed once no read may still open them.
    private struct Files {
        var blocks: [Block] {
            didSet { latest = blocks.map(\.header.last).max() ?? .min }
        }
        /// The latest time in any block.
        private(set) var latest: Int64 = .min
        var readers = 0
        /// File names, with their cache keys.
        var retired: [(name: String, key: String)] = []
    }

    /// Numbers each writing or reading-in of a block file, process-wide, so that no two are ever cached alike.
    private static let generations = Atomic<Int>(0)
    private static func nextGeneration() -> Int { generations.add(1, ordering: .relaxed).newValue }

    /// A block that could not be read: its file's name and why.
    package typealias Damage = (file: String, error: any Error)

    package let directory: String
    private let head: Head
    private let policy: FlushPolicy
    private let cache: BlockCache
    /// The blocks (sorted by arrival numbers) and the reads under way. Held only for moments: while a read takes
    /// its view of blocks and head, and while a writer swaps a block in (a flush also drops the head's copy of its
    /// events then), so that a read never sees an event twice or not at all.
    private let files: Mutex<Files>
    /// Held for the whole of a flush, a merge or an erasure, one at a time; appends and reads go on meanwhile.
    private let changing = Mutex<Void>(())
    /// Blocks whose filter or header could not be read on opening: reported by every read.
    private let unreadable: [Damage]

    package init(
        directory: String, durability: HeadLog.Durability, policy: FlushPolicy = FlushPolicy(), cache: BlockCache = BlockCache(),
        now: Int64
    ) throws {
        let manager = FileManager.default
        try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var found: [BlockFile] = []
        for name in try manager.contentsOfDirectory(atPath: directory) {
            if name.hasSuffix(".tmp") {
                try? manager.removeItem(atPath: directory + "/" + name)
            } else if let block = BlockFile(name: name) {
                found.append(block)
            }
        }
        // Widest first among those starting together, so that a merge's leftovers come right after what holds them.
        found.sort { ($0.firstSeq, -$0.lastSeq) < ($1.firstSeq, -$1.lastSeq) }
        var live: [BlockFile] = []
        var reach: Int64 = 0
        for file in found {
            if file.lastSeq <= reach {
                try? manager.removeItem(atPath: directory + "/" + file.name)
                continue
            }
            reach = file.lastSeq
            live.append(file)
        }
        // Each block's filter and header, read on every core: a day of a million events is some 250 files, and the
        // first query of a day waits for all of them.
        let names = live.map { directory + "/" + $0.name }
        let indexes = Mutex([Result<(filter: BlockFilter, header: EventBlock.Header), any Error>?](repeating: nil, count: live.count))
        DispatchQueue.concurrentPerform(iterations: names.count) { index in
            let read = Result { try BlockFile.index(names[index]) }
            indexes.withLock { $0[index] = read }
        }
        var kept: [Block] = []
        var unreadable: [Damage] = []
        for (file, read) in zip(live, indexes.withLock { $0 }) {
            switch read! {
            case .success(let (filter, header)):
                kept.append(Block(file: file, header: header, filter: filter, generation: Self.nextGeneration()))
            case .failure(let error):
                unreadable.append((file.name, error))
            }
        }
        self.directory = directory
        self.policy = policy
        self.cache = cache
        self.unreadable = unreadable
        files = Mutex(Files(blocks: kept, latest: kept.map(\.header.last).max() ?? .min))
        head = try Head(path: directory + "/head.log", durability: durability, flushedThrough: reach, now: now)
    }

    /// The block files, oldest first.
    package var blockFiles: [BlockFile] { files.withLock { $0.blocks.map(\.file) } }

    /// How many events the head holds, and their lines' bytes.
    package var headSize: Int { head.size.events }
    package var headBytes: Int { head.size.bytes }

    /// The newest arrival number here (0 when empty).
    package var newestArrival: Int64 {
        max(files.withLock { $0.blocks.last?.file.lastSeq } ?? 0, head.records.last?.seq ?? 0)
    }

    // MARK: Writing

    /// Appends `records` (durably, before returning) with their events' keys — claimed by ``claim(_:)``, one per
    /// record, or `nil` to read them from the lines — then flushes if the policy says so (unless `flushing` is false:
    /// the caller flushes in the background, ``needsFlush(now:)`` says when). Throws, keeping nothing and releasing
    /// the claims, when the head's log cannot be written.
    package func append(_ records: [HeadLogRecords.Record], claimed: [EventKey]? = nil, now: Int64, flushing: Bool = true) throws {
        try head.append(records, claimed: claimed, now: now)
        if flushing { try tick(now: now) }
    }

    /// Claims the keys of events an append is about to make: returns, for each, whether it is new — in no block, not
    /// in the head, not claimed before (in `keys` or by another append). The claims are held until ``append(_:claimed:now:flushing:)``
    /// takes them (every one of them, the new events), and an event claimed is a duplicate to any other append.
    package func claim(_ keys: [EventKey]) -> [Bool] {
        // The head first, then the blocks: a flush files its block before it drops the events from the head, so an
        // event the head no longer has is in a block the time checked after sees.
        var fresh = head.claim(keys)
        // Most appends are of events newer than every block: no block need be looked at.
        let latest = files.withLock { $0.latest }
        var inBlocks: [EventKey] = []
        for (index, key) in keys.enumerated() where fresh[index] && key.timestamp <= latest && blocksHold(key) {
            fresh[index] = false
            inBlocks.append(key)
        }
        if !inBlocks.isEmpty { head.release(inBlocks) }
        return fresh
    }

    /// Whether the policy says to flush now.
    package func needsFlush(now: Int64) -> Bool {
        if case .flush = head.decide(policy, now: now) { return true }
        return false
    }

    /// Whether the head holds so much more than a block that appends should wait for a flush (a background flush
    /// that falls behind).
    package var isOverfull: Bool {
        let size = head.size
        return size.events >= 2 * policy.maximumRows || size.bytes >= 2 * policy.maximumBytes
    }

    /// Whether an event with `key` is stored here (or claimed by an append under way): in the head, or in a block
    /// whose range and filter admit it and whose rows hold it.
    package func holds(_ key: EventKey) -> Bool {
        head.holds(key) || key.timestamp <= files.withLock { $0.latest } && blocksHold(key)
    }

    /// Whether a block whose range and filter admit `key` holds it in its rows.
    private func blocksHold(_ key: EventKey) -> Bool {
        let (blocks, _) = beginReading()
        defer { endReading() }
        for block in blocks where block.header.first <= key.timestamp && key.timestamp <= block.header.last && block.filter.mightContain(key) {
            guard let rows = try? rows(of: block) else { continue }
            let start = rows.partitionPoint { $0.timestamp >= key.timestamp }
            for row in rows[start...] {
                guard row.timestamp == key.timestamp else { break }
                if EventKey(timestamp: row.timestamp, line: row.line) == key { return true }
            }
        }
        return false
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
        try changing.withLock { _ in
            guard let pending = head.pending(limit: policy.maximumRows) else { return false }
            let written = try write(pending.records, as: BlockFile(firstSeq: pending.records.map(\.seq).min()!, lastSeq: pending.through))
            try files.withLock { files in
                files.blocks.append(written)
                try head.flushed(through: pending.through, now: now)
            }
            return true
        }
    }

    /// Writes `rows` durably as `file`, and returns what is kept in memory of it.
    private func write(_ rows: [some EventBlock.Source], as file: BlockFile) throws -> Block {
        let contents = try BlockFile.contents(rows)
        try DurableFiles.write(contents, to: directory + "/" + file.name)
        let (filter, block) = try BlockFile.read(contents)
        return Block(file: file, header: try EventBlock.header(block), filter: filter, generation: Self.nextGeneration())
    }

    /// Merges one run of neighbouring small blocks (each under half a block's rows; together at most a block's) into
    /// one, when there are at least four of them or they hold half a block: returns whether it merged. The merged
    /// block is written before the ones it replaces are removed; a crash in between leaves both, which opening
    /// resolves.
    @discardableResult
    package func mergeSmallBlocks() throws -> Bool {
        try changing.withLock { _ in
            let all = files.withLock { $0.blocks }
            let small = policy.maximumRows / 2
            var start = 0
            while start < all.count {
                var end = start
                var total = 0
                while end < all.count, all[end].header.rows < small, total + all[end].header.rows <= policy.maximumRows {
                    total += all[end].header.rows
                    end += 1
                }
                let run = all[start..<end]
                if run.count >= 2, run.count >= 4 || total >= small {
                    var merged: [EventBlock.Row] = []
                    for block in run { merged += try rows(of: block) }
                    merged.sort { ($0.timestamp, $0.seq) < ($1.timestamp, $1.seq) }
                    let written = try write(merged, as: BlockFile(firstSeq: run.first!.file.firstSeq, lastSeq: run.last!.file.lastSeq))
                    files.withLock { files in
                        // Only flushes add blocks meanwhile, at the end; the run is where it was.
                        files.blocks.replaceSubrange(start..<end, with: [written])
                        files.retired += run.map { ($0.file.name, cacheKey($0)) }
                    }
                    removeRetiredFiles()
                    return true
                }
                start = max(end, start + 1)
            }
            return false
        }
    }

    /// Removes the files merges replaced, once no read is under way that may still open them.
    private func removeRetiredFiles() {
        let doomed = files.withLock { files -> [(name: String, key: String)] in
            guard files.readers == 0 else { return [] }
            defer { files.retired = [] }
            return files.retired
        }
        guard !doomed.isEmpty else { return }
        for (name, key) in doomed {
            try? FileManager.default.removeItem(atPath: directory + "/" + name)
            cache.remove(key)
        }
        DurableFiles.syncDirectory(of: directory + "/" + doomed[0].name)
    }

    /// The blocks and head events a read sees, taken at one moment; counts the read until ``endReading()``.
    private func beginReading() -> (blocks: [Block], head: [HeadLogRecords.Record]) {
        files.withLock { files in
            files.readers += 1
            return (files.blocks, head.records)
        }
    }

    private func endReading() {
        files.withLock { $0.readers -= 1 }
        removeRetiredFiles()
    }

    /// Whether nothing here is in use or pending: no read under way, no replaced file left to remove, an empty head.
    /// Only such a day may be closed.
    package var isIdle: Bool { head.size.events == 0 && files.withLock { $0.readers == 0 && $0.retired.isEmpty } }

    /// What the blocks' filters and headers kept in memory take.
    package var indexBytes: Int { files.withLock { $0.blocks.reduce(0) { $0 + $1.filter.bloom.words.count * 8 + 64 } } }

    /// Deletes the events `doomed` picks, from every block file (each rewritten without them, or removed when none
    /// is left: no byte of theirs stays in a file of the store) and from the head; returns how many.
    package func erase(where doomed: (HeadLogRecords.Record) -> Bool) throws -> Int {
        try changing.withLock { _ in
            var erased = 0
            for block in files.withLock({ $0.blocks }) {
                let path = directory + "/" + block.file.name
                let rows = try EventBlock.decode(try BlockFile.read(try DurableFiles.read(path)).block)
                let kept = rows.filter {
                    !doomed(HeadLogRecords.Record(seq: $0.seq, timestamp: $0.timestamp, line: String(decoding: $0.line, as: UTF8.self)))
                }
                guard kept.count < rows.count else { continue }
                erased += rows.count - kept.count
                if kept.isEmpty {
                    try FileManager.default.removeItem(atPath: path)
                    files.withLock { $0.blocks.removeAll { $0.file == block.file } }
                } else {
                    // The file keeps its name: its range of arrival numbers still bounds what it holds.
                    let written = try write(kept, as: block.file)
                    files.withLock { files in
                        if let index = files.blocks.firstIndex(where: { $0.file == block.file }) { files.blocks[index] = written }
                    }
                }
                cache.remove(cacheKey(block))
            }
            return erased + (try head.erase(where: doomed))
        }
    }

    // MARK: Reading

    /// What a read can rule blocks and rows out by, before building lines: a time range (µs, `to` exclusive), id
    /// values every event must have, text every message must contain (ignoring case), bytes every line must
    /// contain, and an arrival number every event must be after.
    package struct Narrowing: Sendable {
        package var from: Int64?
        package var to: Int64?
        package var ids: [(field: IDField, value: String)] = [] { didSet { probes = BlockFilter.probes(ids: ids, text: text) } }
        package var text: String? { didSet { probes = BlockFilter.probes(ids: ids, text: text) } }
        package var lines: [String] = []
        package var arrivedAfter: Int64?
        /// What every block's filter is asked (``BlockFilter/probes(ids:text:)``): made once a read, not once a block.
        private var probes: [BloomFilter.Probe] = []

        package init(
            from: Int64? = nil, to: Int64? = nil, ids: [(field: IDField, value: String)] = [], text: String? = nil,
            lines: [String] = [], arrivedAfter: Int64? = nil
        ) {
            self.from = from
            self.to = to
            self.ids = ids
            self.text = text
            self.lines = lines
            self.arrivedAfter = arrivedAfter
            probes = BlockFilter.probes(ids: ids, text: text)
        }

        /// Whether a block may hold an event the read wants.
        func admits(_ block: Block) -> Bool {
            if let arrivedAfter, block.file.lastSeq <= arrivedAfter { return false }
            if let from, block.header.last < from { return false }
            if let to, block.header.first >= to { return false }
            return block.filter.mightContain(all: probes)
        }

        /// What a block's rows can be tested by on their columns, before their lines are built.
        var rowTests: [BlockColumns.RowTest] {
            var tests: [BlockColumns.RowTest] = []
            for (field, value) in ids where EventMatcher.isPlain(value) { tests.append(.string(key: field.rawValue, is: value)) }
            if let text, EventMatcher.isPlain(text) { tests.append(.messageContains(Array(text.lowercased().utf8))) }
            for line in lines where BlockColumns.RowTest.canTestLine(for: line.utf8) { tests.append(.lineContains(Array(line.utf8))) }
            return tests
        }
    }

    /// The order ``rows(_:order:_:)`` hands rows over in.
    package enum RowOrder: Sendable {
        case oldestFirst, newestFirst
        /// Blocks in arrival order, then the head: the fastest.
        case any
    }

    /// Gives `body` the rows here that `narrowing` does not rule out — those of the blocks its range, ids and text
    /// admit, and the head's, within its range — in `order`, until `body` returns `false`. The caller still tests
    /// each row: a block that is read holds others too. Returns whether it went to the end, and the blocks that
    /// could not be read (skipped).
    package func rows(_ narrowing: Narrowing, order: RowOrder, _ body: (EventBlock.Row) -> Bool) -> (finished: Bool, damaged: [Damage]) {
        let (blocks, headRecords) = beginReading()
        defer { endReading() }
        var damaged = unreadable
        // A read that can test rows on their columns takes only those that pass (rebuilt, unless the block's
        // lines are cached).
        let tests = narrowing.rowTests
        var runs: [RowMerge.Run] = blocks.filter(narrowing.admits).map { block in
            RowMerge.Run(first: block.header.first, last: block.header.last) {
                self.read(block, damaged: &damaged) {
                    if !tests.isEmpty {
                        let (columns, rows) = try self.cache.block(self.cacheKey(block)) { try self.readColumns(block) }
                        if let wanted = columns.rows(where: tests) {
                            return rows.map { rows in rows.indices.filter { wanted[$0] }.map { rows[$0] } } ?? columns.rows { wanted[$0] }
                        }
                    }
                    return try self.rows(of: block)
                }
            }
        }
        let fresh = headRecords.filter { $0.seq > (narrowing.arrivedAfter ?? 0) }
        if !fresh.isEmpty {
            let rows = fresh.map { EventBlock.Row(timestamp: $0.timestamp, line: Array($0.line.utf8), seq: $0.seq) }
                .sorted { ($0.timestamp, $0.seq) < ($1.timestamp, $1.seq) }
            runs.append(RowMerge.Run(first: rows.first!.timestamp, last: rows.last!.timestamp) { rows })
        }
        let merge = RowMerge(from: narrowing.from, to: narrowing.to)
        let finished =
            switch order {
            case .any: merge.forEachUnordered(runs, body)
            case .oldestFirst: merge.forEach(runs, newestFirst: false, body)
            case .newestFirst: merge.forEach(runs, newestFirst: true, body)
            }
        return (finished, damaged)
    }

    /// Every event `narrowing` does not rule out, with its arrival number, in no particular order.
    package func events(_ narrowing: Narrowing = Narrowing()) -> (events: [HeadLogRecords.Record], damaged: [Damage]) {
        var out: [HeadLogRecords.Record] = []
        let (_, damaged) = rows(narrowing, order: .any) { row in
            out.append(HeadLogRecords.Record(seq: row.seq, timestamp: row.timestamp, line: String(decoding: row.line, as: UTF8.self)))
            return true
        }
        return (out, damaged)
    }

    /// Hands `body` the time of each event here in `narrowing`'s time range (the rest of it is not applied) and the
    /// members `names` pick (``MemberPicker``), blocks first (read from their columns: no line is built), then the
    /// head, until it returns `false`. Returns whether it went to the end, and the blocks that could not be read.
    package func members(
        _ narrowing: Narrowing, names: [String], _ body: (_ timestamp: Int64, _ members: [UnsafeBufferPointer<UInt8>?]) -> Bool
    ) -> (finished: Bool, damaged: [Damage]) {
        let (blocks, headRecords) = beginReading()
        defer { endReading() }
        var damaged = unreadable
        let range = (narrowing.from ?? .min)..<(narrowing.to ?? .max)
        for block in blocks where block.header.last >= range.lowerBound && block.header.first < range.upperBound {
            guard let columns = read(block, damaged: &damaged, { try self.columns(of: block) }) else { continue }
            let finished = columns.members(names) { row, members in
                !range.contains(columns.times[row]) || body(columns.times[row], members)
            }
            if !finished { return (false, damaged) }
        }
        var picker = MemberPicker(names)
        for record in headRecords where range.contains(record.timestamp) {
            guard record.withLine({ picker.pick($0) { body(record.timestamp, $0) } }) else { return (false, damaged) }
        }
        return (true, damaged)
    }

    /// What `load` reads of `block`; `nil` when it cannot, with the block added to `damaged` (unless the file is
    /// gone because an erasure emptied it since the read began: not damage).
    private func read<T>(_ block: Block, damaged: inout [Damage], _ load: () throws -> T) -> T? {
        do {
            return try load()
        } catch let failure as FileFailure where failure.code == ENOENT {
            return nil
        } catch {
            damaged.append((block.file.name, error))
            return nil
        }
    }

    /// A block's rows, all of them, through the cache; checked against their checksum when read from the file.
    private func rows(of block: Block) throws -> [EventBlock.Row] {
        try cache.rows(cacheKey(block)) { try readColumns(block) }
    }

    /// A block's columns, through the cache.
    private func columns(of block: Block) throws -> BlockColumns {
        try cache.columns(cacheKey(block)) { try readColumns(block) }
    }

    private func readColumns(_ block: Block) throws -> BlockColumns {
        try EventBlock.columns(of: try BlockFile.read(try DurableFiles.read(directory + "/" + block.file.name)).block)
    }

    private func cacheKey(_ block: Block) -> String { directory + "/" + block.file.name + "#\(block.generation)" }
}
