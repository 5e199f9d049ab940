import KeelStore
import Foundation
import GRDB
import Keel
import Synchronization

/// One tenant's day of events in its own SQLite file (WAL): retention and erasure of a tenant delete whole files,
/// a query never reads another tenant's pages, and a day's indexes stay small.
///
/// Tables: `events`, one row per event — the columns queries filter on and the canonical line; `seq`, the rowid, is
/// the event's place in the tenant's arrival order, which the store hands out. One index, unique on `(ts, dedupe)`,
/// makes appends idempotent and is also the time index (with SQLite's rowid in every entry, it gives the
/// `(ts, seq)` order queries page in); its key grows with time, so inserts land at the right edge of the B-tree. A
/// partial index covers `error_code` for the events that have one, and three more hold the times of WARN, ERROR and
/// CRITICAL events and above (rare rows, so they cost appends little). `events_fts` is a contentless FTS5 trigram index
/// of each chunk's distinct messages (``ChunkText``: case-insensitive substring search finds the chunks, then their
/// rows are checked), and `chunks` holds one Bloom filter over the id fields per
/// ``Partition/chunkSize`` arrivals, instead of a random-key index per id field (a B-tree over random ids dirties a
/// page per event). A lookup scans the rows of the chunks whose filters match.
///
/// Every table and index is here because an append pays for it: a separate table for the lines, a second time index
/// and FTS5's per-row size table were each left out for what they cost the ingest rate (docs/benchmarks.md, "Design
/// measurements").
final class Partition: Sendable {
    static let chunkSize: Int64 = 256
    /// `PRAGMA user_version` of this layout: a file of another layout is refused, not misread.
    static let layoutVersion = 3
    static let idsPerEvent = IDField.allCases.count

    let day: Int
    let path: String
    let pool: DatabasePool
    private let checkpointer: WALCheckpointer
    /// The newest arrival stored here (0 when empty); set by appends, read by tails.
    private let newest = Atomic<Int64>(0)
    /// What the writer keeps of the newest chunk between appends.
    struct WriterChunk {
        /// Its Bloom filter over the id fields, with its first and last seq.
        var filter: (chunk: Int64, first: Int64, last: Int64, filter: BloomFilter)?
        /// Its distinct messages: what its documents in the text index hold.
        var text: ChunkText?
    }
    /// Read and replaced only on the writer's connection (``writing(_:)``), after the change has committed.
    private let writerChunk = Mutex(WriterChunk())
    /// Readers' cache of chunk filters: chunk → (first seq, last seq when read, filter). Only the newest chunk
    /// changes, so a lookup re-reads just the chunks from the newest cached one on (reading every chunk's blob per
    /// lookup grows with the store).
    private let filters = Mutex<[Int64: (first: Int64, last: Int64, filter: BloomFilter)]>([:])

    init(path: String, day: Int, durability: SQLiteLogStore.Durability) throws {
        self.day = day
        self.path = path
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(durability == .full ? "FULL" : "NORMAL")")
            // Up to 32 MiB of page cache per open partition (the default is 2 MB), allocated as used: the FTS and
            // `ts` index pages that appends touch stay in memory.
            try db.execute(sql: "PRAGMA cache_size = -32768")
            // Checkpoints run in the background (WALCheckpointer), never inside an append's commit. When the WAL
            // restarts it is cut back to 4 MiB, so a hundred open tenant-days do not keep gigabytes of idle WAL
            // (measured: W3's store grew from 739 to 962 bytes per event with 32 MiB WALs left in place).
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 0")
            try db.execute(sql: "PRAGMA journal_size_limit = 4194304")
            db.add(function: Self.containsFunction)
        }
        pool = try DatabasePool(path: path, configuration: configuration)
        checkpointer = try WALCheckpointer(path: path)
        try pool.write { db in
            let version = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
            let fresh = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") == 0
            guard version == Self.layoutVersion || fresh else { throw PartitionError.layout(path: path, version: version) }
            try db.execute(
                sql: """
                    PRAGMA user_version = \(Self.layoutVersion);
                    CREATE TABLE IF NOT EXISTS events(
                        seq INTEGER PRIMARY KEY, ts INTEGER NOT NULL, level INTEGER NOT NULL,
                        event TEXT, error_code TEXT, request_id TEXT, trace_id TEXT, run_id TEXT, user_id TEXT,
                        event_id TEXT NOT NULL, dedupe INTEGER NOT NULL, line TEXT NOT NULL);
                    CREATE UNIQUE INDEX IF NOT EXISTS events_ts_dedupe ON events(ts, dedupe);
                    CREATE INDEX IF NOT EXISTS events_error_code ON events(error_code) WHERE error_code IS NOT NULL;
                    CREATE INDEX IF NOT EXISTS events_warn ON events(ts) WHERE level >= 4;
                    CREATE INDEX IF NOT EXISTS events_error ON events(ts) WHERE level >= 5;
                    CREATE INDEX IF NOT EXISTS events_critical ON events(ts) WHERE level >= 6;
                    CREATE VIRTUAL TABLE IF NOT EXISTS events_fts
                        USING fts5(message, content='', tokenize='trigram', columnsize=0);
                    CREATE TABLE IF NOT EXISTS chunks(
                        chunk INTEGER PRIMARY KEY, first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL,
                        filter BLOB NOT NULL);
                    """)
            if let row = try Row.fetchOne(db, sql: "SELECT chunk, first_seq, last_seq, filter FROM chunks ORDER BY chunk DESC LIMIT 1"),
                let filter = BloomFilter(bytes: [UInt8](row["filter"] as Data? ?? Data()))
            {
                let chunk: Int64 = row["chunk"]
                let text = ChunkText(chunk: chunk, messages: try Self.messages(db, chunk: chunk).map(\.message))
                writerChunk.withLock { $0 = WriterChunk(filter: (chunk, row["first_seq"], row["last_seq"], filter), text: text) }
            }
            newest.store(try Int64.fetchOne(db, sql: "SELECT max(seq) FROM events") ?? 0, ordering: .relaxed)
        }
    }

    /// The newest arrival stored here (0 when empty).
    var newestArrival: Int64 { newest.load(ordering: .relaxed) }

    /// Closes the checkpointer's connection, then the pool's: the last one to close copies what is left of the WAL
    /// into the file and deletes the WAL.
    func close() throws {
        try checkpointer.close()
        try pool.close()
    }

    /// Runs `body` in one transaction on the writer's connection with the writer's chunk state, and keeps the state
    /// `body` left only once the transaction has committed (still on the writer, so no other change comes between):
    /// an append that rolls back must not leave messages counted as indexed that the text index never got.
    ///
    /// `erasing`: what the transaction deletes must not stay anywhere on disk. SQLite overwrites the freed content
    /// (`secure_delete`), the text index is merged into fresh segments (the old ones, freed, are overwritten too),
    /// and the WAL — which still holds the old pages — is copied into the file and truncated to nothing before this
    /// returns.
    private func writing<T>(erasing: Bool = false, _ body: (Database, inout WriterChunk) throws -> T) throws -> T {
        try pool.writeWithoutTransaction { db in
            if erasing { try db.execute(sql: "PRAGMA secure_delete = ON") }
            defer { if erasing { try? db.execute(sql: "PRAGMA secure_delete = OFF") } }
            var state = writerChunk.withLock { $0 }
            var result: T?
            try db.inTransaction {
                result = try body(db, &state)
                if erasing { try db.execute(sql: "INSERT INTO events_fts(events_fts) VALUES('optimize')") }
                return .commit
            }
            writerChunk.withLock { $0 = state }
            if erasing {
                // Readers are short; wait for them rather than leave the old pages in the WAL.
                try db.execute(sql: "PRAGMA busy_timeout = 10000")
                defer { try? db.execute(sql: "PRAGMA busy_timeout = 0") }
                let (wal, copied) = try db.checkpoint(.truncate)
                guard wal <= 0 && copied <= 0 else { throw PartitionError.walNotTruncated(path: path) }
            }
            return result!
        }
    }

    /// Rows per INSERT statement, of events (``EventRowInsert``) and of text documents: SQLite's per-statement work
    /// is paid once per 100 rows.
    static let rowsPerStatement = 100

    /// Appends `events[indices]` in one transaction, numbering them on from `lastArrival` (an event already stored —
    /// same timestamp and `event_id` — is skipped, and its number left unused). Returns the new last number too.
    func append(_ events: [StoredEvent], _ indices: [Int], after lastArrival: Int64) throws -> (AppendResult, Int64) {
        checkpointer.restartIfDue(pool)
        var appendedBytes = 0
        let (result, newest) = try writing { db, state -> (AppendResult, Int64) in
            // (seq, position in `events`) of the rows that went in.
            var kept: [(seq: Int64, index: Int)] = []
            kept.reserveCapacity(indices.count)
            try EventRowInsert.insert(db, events, indices, firstSeq: lastArrival + 1) { seq in
                kept.append((seq, indices[Int(seq - lastArrival - 1)]))
            }
            // SQLite does not promise RETURNING's order (in practice it is the insert order, which sorts at once).
            kept.sort { $0.seq < $1.seq }
            // One pass over what went in: each chunk's new distinct messages for the text index (ChunkText), its
            // Bloom filter over the ids, and the bytes the WAL grew by (near enough: the line and ~100 bytes of
            // columns and index entries).
            var text = state.text
            var documents: [(rowid: Int64, text: String)] = []
            var touched: [(chunk: Int64, first: Int64, last: Int64, filter: BloomFilter)] = []
            var chunk = state.filter
            for (seq, index) in kept {
                let number = seq / Self.chunkSize
                let event = events[index]
                if text?.chunk != number { text = ChunkText(chunk: number) }
                if let document = text!.add(event.message) { documents.append(document) }
                if chunk?.chunk != number {
                    if let done = chunk { touched.append(done) }
                    chunk = (number, seq, seq, BloomFilter(capacity: Int(Self.chunkSize) * Self.idsPerEvent))
                }
                chunk!.last = seq
                for (field, value) in event.ids { chunk!.filter.insert(BloomFilter.Probe(field, value)) }
                appendedBytes += event.line.utf8.count + 100
            }
            try insertDocuments(db, documents)
            state.text = text
            if let chunk, !kept.isEmpty { touched.append(chunk) }
            let save = try db.cachedStatement(
                sql: """
                    INSERT INTO chunks(chunk, first_seq, last_seq, filter) VALUES (?,?,?,?)
                    ON CONFLICT(chunk) DO UPDATE SET last_seq = excluded.last_seq, filter = excluded.filter
                    """)
            for done in touched {
                try save.execute(arguments: [done.chunk, done.first, done.last, Data(done.filter.bytes)])
            }
            state.filter = chunk
            return (AppendResult(stored: kept.count, duplicates: indices.count - kept.count), kept.last?.seq ?? 0)
        }
        if newest > newestArrival { self.newest.store(newest, ordering: .relaxed) }
        checkpointer.appended(bytes: appendedBytes)
        return (result, lastArrival + Int64(indices.count))
    }

    private func insertDocuments(_ db: Database, _ documents: [(rowid: Int64, text: String)]) throws {
        for start in stride(from: 0, to: documents.count, by: Self.rowsPerStatement) {
            let part = documents[start..<min(start + Self.rowsPerStatement, documents.count)]
            let values = part.flatMap { [$0.rowid, $0.text] as [(any DatabaseValueConvertible)?] }
            let index = try db.cachedStatement(
                sql: "INSERT INTO events_fts(rowid, message) VALUES " + Self.placeholders(rows: part.count, columns: 2))
            try index.execute(arguments: StatementArguments(values))
        }
    }

    /// The (seq, message) of every event of `chunk`, in arrival order.
    static func messages(_ db: Database, chunk: Int64) throws -> [(seq: Int64, message: String)] {
        try Row.fetchAll(
            db, sql: "SELECT seq, line FROM events WHERE seq BETWEEN ? AND ? ORDER BY seq",
            arguments: [chunk * chunkSize, chunk * chunkSize + chunkSize - 1]
        ).map { row in
            let line: String = row["line"]
            return (row["seq"], StoredEvent.message(of: line))
        }
    }

    /// `(?,?),(?,?)…`: `rows` groups of `columns` parameters.
    static func placeholders(rows: Int, columns: Int) -> String {
        let row = "(" + Array(repeating: "?", count: columns).joined(separator: ",") + ")"
        return Array(repeating: row, count: rows).joined(separator: ",")
    }

    /// Up to `limit` events of `query` in this partition, in order: by time after `after` (a position in this
    /// partition), or by arrival after `query.arrivedAfter`.
    func events(_ query: EventQuery, after: (timestamp: Int64, seq: Int64)?, limit: Int) throws -> [StoredEvent] {
        try pool.read { db in
            var sql = """
                SELECT seq, ts, level, event, error_code, request_id, trace_id, run_id, user_id, event_id, line
                FROM events WHERE 1
                """
            var arguments = StatementArguments()
            func filter(_ clause: String, _ values: any DatabaseValueConvertible...) {
                sql += " AND " + clause
                for value in values { _ = arguments.append(contentsOf: [value]) }
            }
            // With ids or an arrival position, seq ranges are the way in: `+ts` keeps SQLite from walking the whole
            // `ts` index instead.
            // Text: the chunks whose documents hold the text (ChunkText), then each of their rows is checked.
            var textChunks: [Int64]?
            var phrase = ""
            if let text = query.text, text.unicodeScalars.count >= 3 {
                // Quoted as one FTS5 string: the text is matched literally, never read as query syntax.
                phrase = "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
                let chunks = try Int64.fetchAll(
                    db, sql: "SELECT DISTINCT rowid >> 8 FROM events_fts WHERE events_fts MATCH ? ORDER BY 1", arguments: [phrase])
                guard !chunks.isEmpty else { return [] }
                textChunks = chunks
            }
            let fewTextChunks = (textChunks?.count ?? .max) <= Self.maximumRanges
            // Ids: only the chunks whose filters may hold every id asked for are read.
            var idChunks: [Int64]?
            if !query.ids.isEmpty {
                let chunks = try candidateChunks(db, query.ids)
                guard !chunks.isEmpty else { return [] }
                idChunks = chunks
            }
            let fewIDRanges = idChunks.map { Self.ranges($0).count <= Self.maximumRanges } ?? false
            // With few id chunks, an arrival position or few text chunks, seq ranges are the way in: `+ts` keeps
            // SQLite from walking the whole `ts` index instead.
            let ts = !fewIDRanges && query.arrivedAfter == nil && !fewTextChunks ? "ts" : "+ts"
            if let arrival = query.arrivedAfter {
                filter("seq > ?", arrival)
            } else if let after {
                filter("(ts, seq) > (?, ?)", after.timestamp, after.seq)
            }
            let fields = Self.fieldConditions(query, ts: ts)
            sql += fields.sql
            _ = arguments.append(contentsOf: fields.arguments)
            if let text = query.text, !text.isEmpty {
                if let chunks = textChunks {
                    if fewTextChunks {
                        let within = Self.within(chunks)
                        sql += " AND " + within.sql
                        _ = arguments.append(contentsOf: StatementArguments(within.arguments))
                    } else {
                        filter("seq / \(Self.chunkSize) IN (SELECT rowid >> 8 FROM events_fts WHERE events_fts MATCH ?)", phrase)
                    }
                }
                // Every candidate row (and, for text shorter than a trigram, every row the other filters leave).
                filter("keel_contains(json_extract(line, '$.message'), ?)", text)
            }
            for (field, value) in query.ids.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                filter("\(field.rawValue) = ?", value)
            }
            if let idChunks {
                let within = Self.within(idChunks)
                sql += " AND " + within.sql
                _ = arguments.append(contentsOf: StatementArguments(within.arguments))
            }
            sql += query.arrivedAfter == nil ? " ORDER BY ts, seq LIMIT ?" : " ORDER BY seq LIMIT ?"
            _ = arguments.append(contentsOf: [limit])
            // Columns by position, the ids in IDField's order (GRDB looks a name up case-insensitively, lowercasing
            // it each time).
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                var ids = EventIDs()
                for (offset, field) in IDField.allCases.enumerated() {
                    if let value: String = row[5 + offset] { ids[field] = value }
                }
                let line: String = row[10]
                let timestamp: Int64 = row[1]
                return StoredEvent(
                    eventID: row[9], timestamp: timestamp, tenant: query.tenant, level: row[2], event: row[3],
                    errorCode: row[4], ids: ids, message: StoredEvent.message(of: line), line: line,
                    cursor: EventCursor(day: day, timestamp: timestamp, seq: row[0]))
            }
        }
    }

    /// ` AND …` for the range, the minimum level, the event and the error code of `query` (`ts` spelled as given).
    private static func fieldConditions(_ query: EventQuery, ts: String) -> (sql: String, arguments: StatementArguments) {
        var sql = ""
        var arguments = StatementArguments()
        func filter(_ clause: String, _ value: (any DatabaseValueConvertible)? = nil) {
            sql += " AND " + clause
            if let value { _ = arguments.append(contentsOf: [value]) }
        }
        if let from = query.from { filter("\(ts) >= ?", from) }
        if let to = query.to { filter("\(ts) < ?", to) }
        if let level = query.minimumLevel {
            // Written as a literal, so that SQLite matches the partial index of WARN, ERROR or CRITICAL and above:
            // the rare events, found without scanning the day.
            filter("level >= \(min(max(level, 0), 6))")
        }
        if let event = query.event { filter("event = ?", event) }
        if let code = query.errorCode { filter("error_code = ?", code) }
        return (sql, arguments)
    }

    /// Every event of `query` here (its range, level, event and error code; not its ids or text) in `order`, handed
    /// to `body` as its timestamp and its line's bytes — SQLite's own, valid for the call only — until `body`
    /// returns `false`; returns whether it did not. One statement, stepped: no pages, and no row object or copy per
    /// event. In `.any` order the rows come in the `ts` index's order, `(ts, dedupe)`: SQLite need not sort the
    /// events of each timestamp by arrival (a third of a day's scan).
    func scan(_ query: EventQuery, order: ScanOrder, _ body: (Int64, UnsafeBufferPointer<UInt8>) -> Bool) throws -> Bool {
        try pool.read { db in
            let fields = Self.fieldConditions(query, ts: "ts")
            let orderBy =
                switch order {
                case .oldestFirst: " ORDER BY ts, seq"
                case .newestFirst: " ORDER BY ts DESC, seq DESC"
                case .any: ""
                }
            let rows = try Row.fetchCursor(
                db, sql: "SELECT ts, line FROM events WHERE 1" + fields.sql + orderBy, arguments: fields.arguments)
            while let row = try rows.next() {
                let timestamp: Int64 = row[0]
                let more = try row.withUnsafeData(atIndex: 1) { data in
                    (data ?? Data()).withUnsafeBytes { body(timestamp, $0.assumingMemoryBound(to: UInt8.self)) }
                }
                if !more { return false }
            }
            return true
        }
    }

    /// Deletes every event of `userID` here (or counts them, when `dryRun`): its row, its line and its message's
    /// entries in the text index. Returns how many.
    func forget(userID: String, dryRun: Bool) throws -> Int {
        let select = { (db: Database) throws -> [Row] in
            let chunks = try self.candidateChunks(db, [.userID: userID])
            guard !chunks.isEmpty else { return [] }
            let within = Self.within(chunks)
            return try Row.fetchAll(
                db, sql: "SELECT seq, line FROM events WHERE user_id = ? AND \(within.sql)",
                arguments: StatementArguments([userID] + within.arguments))
        }
        let count = try pool.read { try select($0).count }
        // A day with nothing of the user's is left alone: erasing merges its text index and empties its WAL.
        if dryRun || count == 0 { return count }
        return try writing(erasing: true) { db, state in
            let rows = try select(db)
            let doomed = Set(rows.map { $0["seq"] as Int64 })
            // Each affected chunk's text documents are rebuilt from the events that stay. A contentless FTS5 table
            // forgets a document only when told its original text, which the chunk's rows give.
            for chunk in Set(doomed.map { $0 / Self.chunkSize }) {
                let messages = try Self.messages(db, chunk: chunk)
                for document in ChunkText(chunk: chunk, messages: messages.map(\.message)).documents {
                    try db.execute(
                        sql: "INSERT INTO events_fts(events_fts, rowid, message) VALUES('delete', ?, ?)",
                        arguments: [document.rowid, document.text])
                }
                let kept = ChunkText(chunk: chunk, messages: messages.filter { !doomed.contains($0.seq) }.map(\.message))
                try insertDocuments(db, kept.documents)
                if state.text?.chunk == chunk { state.text = kept }
            }
            for seq in doomed { try db.execute(sql: "DELETE FROM events WHERE seq = ?", arguments: [seq]) }
            return rows.count
        }
    }

    /// How many events this partition holds.
    func count() throws -> Int { try pool.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM events") ?? 0 } }

    /// The chunks (sorted) whose filters might contain every one of `ids`.
    private func candidateChunks(_ db: Database, _ ids: [IDField: String]) throws -> [Int64] {
        let newest = filters.withLock { $0.keys.max() } ?? -1
        let changed = try Row.fetchAll(
            db, sql: "SELECT chunk, first_seq, last_seq, filter FROM chunks WHERE chunk >= ? ORDER BY chunk",
            arguments: [newest])
        for row in changed {
            let chunk: Int64 = row["chunk"]
            let last: Int64 = row["last_seq"]
            if filters.withLock({ $0[chunk]?.last }) == last { continue }
            guard let filter = BloomFilter(bytes: [UInt8](row["filter"] as Data? ?? Data())) else { continue }
            filters.withLock { $0[chunk] = (row["first_seq"], last, filter) }
        }
        let probes = ids.map { BloomFilter.Probe($0.key, $0.value) }
        let all = filters.withLock { $0 }
        return all.keys.sorted().filter { chunk in probes.allSatisfy(all[chunk]!.filter.mightContain) }
    }

    enum PartitionError: Error, CustomStringConvertible {
        case layout(path: String, version: Int)
        case walNotTruncated(path: String)
        var description: String {
            switch self {
            case .layout(let path, let version):
                "\(path) has store layout \(version); this keel reads layout \(Partition.layoutVersion)"
            case .walNotTruncated(let path):
                "\(path): the WAL could not be emptied after an erasure (a reader held it for 10 s); erase again"
            }
        }
    }

    /// Above this many candidate chunks, a query reads in time order and tests chunk membership instead of listing
    /// seq ranges.
    static let maximumRanges = 256

    /// A condition that keeps the rows of `chunks` (sorted): seq ranges when they are few (each an index range), else
    /// a membership test of each row's chunk against the list, passed as one JSON array — an expression of any
    /// number of chunks stays one parameter (SQLite refuses expression trees past 1,000 deep: a run over thousands of
    /// chunks could not be read).
    static func within(_ chunks: [Int64]) -> (sql: String, arguments: [String]) {
        let ranges = ranges(chunks)
        if ranges.count <= maximumRanges {
            return ("(" + ranges.map { "seq BETWEEN \($0.first) AND \($0.last)" }.joined(separator: " OR ") + ")", [])
        }
        return (
            "(seq / \(chunkSize) IN (SELECT value FROM json_each(?)))", ["[" + chunks.map(String.init).joined(separator: ",") + "]"]
        )
    }

    /// The seq ranges of `chunks` (sorted), adjacent chunks merged.
    static func ranges(_ chunks: [Int64]) -> [(first: Int64, last: Int64)] {
        var ranges: [(first: Int64, last: Int64)] = []
        for chunk in chunks {
            if let last = ranges.last, last.last + 1 == chunk * chunkSize {
                ranges[ranges.count - 1].last = chunk * chunkSize + chunkSize - 1
            } else {
                ranges.append((chunk * chunkSize, chunk * chunkSize + chunkSize - 1))
            }
        }
        return ranges
    }

    /// `keel_contains(message, text)`: whether `message` contains `text`, ignoring case by Unicode's rules (SQLite's
    /// own `lower` folds ASCII only).
    static let containsFunction = DatabaseFunction("keel_contains", argumentCount: 2, pure: true) { values in
        guard let message = String.fromDatabaseValue(values[0]), let text = String.fromDatabaseValue(values[1]) else {
            return false
        }
        return message.range(of: text, options: [.caseInsensitive]) != nil
    }

    /// A stable 63-bit key of an event id (SQLite integers are signed).
    static func dedupeKey(_ eventID: String) -> Int64 {
        var hash = StableHash()
        hash.add(eventID)
        return Int64(bitPattern: hash.value >> 1)
    }
}
