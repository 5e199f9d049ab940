import Foundation
import GRDB
@testable import KeelSQLiteStore
import KeelStore
import Synchronization
import Testing

/// With SQLite's automatic checkpoint off, the WAL must still be copied into the file and restarted, or it grows
/// without end under sustained appends; and nothing committed may be lost across a close.
struct WALCheckpointerTests {
    /// With or without a steady stream of readers (each holding a snapshot for a moment, as queries and tails do),
    /// which make a plain restart fail.
    @Test(arguments: [false, true]) func theWALStaysBoundedUnderSustainedAppendsAndNothingIsLost(withReaders: Bool) async throws {
        let run = try await onOwnThread { try Self.appendThroughTheWAL(withReaders: withReaders) }
        // ~12 MB went through the WAL; without checkpoints and restarts it would have held all of it.
        #expect(run.largestWAL > 0)
        #expect(run.largestWAL < 4 << 20, "the WAL reached \(run.largestWAL) bytes")
        // Without readers the last connection to close (the writer) copies and deletes the WAL; when a read-only
        // reader closes last, SQLite leaves the (bounded) WAL for the next open to copy.
        if withReaders { #expect(run.walLeft < 4 << 20) } else { #expect(!run.walExists) }
        #expect(run.rowsAfterReopen == 20_000)
    }

    /// 20,000 rows appended through a WAL with the checkpointer (and, if asked, a steady stream of readers).
    static func appendThroughTheWAL(withReaders: Bool) throws -> (largestWAL: Int, walLeft: Int, walExists: Bool, rowsAfterReopen: Int?) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keel-wal-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/day.sqlite"
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 0")
            try db.execute(sql: "PRAGMA journal_size_limit = 262144")
        }
        let pool = try DatabasePool(path: path, configuration: configuration)
        try pool.write { try $0.execute(sql: "CREATE TABLE t(id INTEGER PRIMARY KEY, line TEXT NOT NULL)") }
        // Checkpoints every 256 KiB appended; a restart once the WAL passes 128 pages (512 KiB).
        let checkpointer = try WALCheckpointer(path: path, bytesPerCheckpoint: 256 << 10, restartFrames: 128)
        let line = String(repeating: "x", count: 500)
        let stop = Atomic<Bool>(false)
        let reader = Thread {
            while withReaders && !stop.load(ordering: .relaxed) {
                _ = try? pool.read { db in
                    _ = try Int.fetchOne(db, sql: "SELECT count(*) FROM t")
                    usleep(2_000)
                }
            }
        }
        reader.start()
        var largestWAL = 0
        for batch in 0..<400 {
            checkpointer.restartIfDue(pool)
            try pool.write { db in
                for n in 0..<50 { try db.execute(sql: "INSERT INTO t VALUES (?, ?)", arguments: [batch * 50 + n, line]) }
            }
            checkpointer.appended(bytes: 50 * 600)
            let size = (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? 0
            largestWAL = max(largestWAL, size ?? 0)
        }
        stop.store(true, ordering: .relaxed)
        while !reader.isFinished { usleep(1_000) }
        try checkpointer.close()
        try pool.close()
        let left = (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? 0
        let exists = FileManager.default.fileExists(atPath: path + "-wal")
        let reopened = try DatabaseQueue(path: path)
        return (largestWAL, left ?? 0, exists, try reopened.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM t") })
    }
}
