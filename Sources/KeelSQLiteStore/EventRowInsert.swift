import KeelStore
import GRDB
import GRDBSQLite

/// Inserts events into a partition's `events` table, many rows per statement, binding each column straight from the
/// event (no `StatementArguments`: boxing twelve values per event into existentials and then `DatabaseValue`s cost
/// more than SQLite's own work on the row). Returns the seq of every row that went in; the others were already
/// stored (same `ts` and `dedupe`).
///
/// GRDB prepares and caches the statement; this binds, steps and resets it with SQLite's C API and leaves it reset,
/// as GRDB expects a cached statement it did not run.
struct EventRowInsert {
    static let columns = 12

    /// Inserts `events[indices]`, the i-th of them as arrival `firstSeq + i`.
    static func insert(
        _ db: Database, _ events: [StoredEvent], _ all: [Int], firstSeq: Int64, kept: (_ seq: Int64) -> Void
    ) throws {
        var offset = 0
        while offset < all.count {
            let part = all[offset..<min(offset + Partition.rowsPerStatement, all.count)]
            let statement = try db.cachedStatement(sql: sql(rows: part.count))
            let raw = statement.sqliteStatement
            defer {
                sqlite3_reset(raw)
                sqlite3_clear_bindings(raw)
            }
            var column: Int32 = 1
            for (n, index) in part.enumerated() {
                let event = events[index]
                sqlite3_bind_int64(raw, column, firstSeq + Int64(offset + n))
                sqlite3_bind_int64(raw, column + 1, event.timestamp)
                sqlite3_bind_int64(raw, column + 2, Int64(event.level))
                bind(raw, column + 3, event.event)
                bind(raw, column + 4, event.errorCode)
                bind(raw, column + 5, event.ids[.requestID])
                bind(raw, column + 6, event.ids[.traceID])
                bind(raw, column + 7, event.ids[.runID])
                bind(raw, column + 8, event.ids[.userID])
                bind(raw, column + 9, event.eventID)
                sqlite3_bind_int64(raw, column + 10, Partition.dedupeKey(event.eventID))
                bind(raw, column + 11, event.line)
                column += Int32(columns)
            }
            while true {
                let code = sqlite3_step(raw)
                if code == SQLITE_ROW {
                    kept(sqlite3_column_int64(raw, 0))
                } else if code == SQLITE_DONE {
                    break
                } else {
                    throw DatabaseError(
                        resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)),
                        sql: "INSERT INTO events …")
                }
            }
            offset += part.count
        }
    }

    /// `INSERT OR IGNORE … RETURNING seq` of `rows` rows.
    static func sql(rows: Int) -> String {
        "INSERT OR IGNORE INTO events(seq, ts, level, event, error_code, request_id, trace_id, run_id, user_id, event_id, "
            + "dedupe, line) VALUES " + Partition.placeholders(rows: rows, columns: columns) + " RETURNING seq"
    }

    /// SQLite copies the text (`SQLITE_TRANSIENT`): a Swift string's bytes are only lent for the call.
    private static func bind(_ statement: OpaquePointer, _ column: Int32, _ text: String?) {
        guard var text else {
            sqlite3_bind_null(statement, column)
            return
        }
        text.withUTF8 { bytes in
            // An empty buffer may have no address, and a null pointer would bind NULL, not "".
            _ = bytes.withMemoryRebound(to: CChar.self) {
                sqlite3_bind_text(statement, column, $0.baseAddress ?? empty, Int32($0.count), transient)
            }
        }
    }

    nonisolated(unsafe) private static let empty: UnsafePointer<CChar> = {
        let byte = UnsafeMutablePointer<CChar>.allocate(capacity: 1)
        byte.initialize(to: 0)
        return UnsafePointer(byte)
    }()

    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}
