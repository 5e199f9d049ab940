import Foundation
import KeelBlockStore
import KeelSQLiteStore
import KeelStore
import Logging

/// Moves a data directory written by the SQLite store (`events/<tenant>/<day>.sqlite`) into the block store, on
/// the first start of a `keel serve` that uses blocks: every event, with its arrival number (so a tail resumes
/// where it was), and each tenant's arrival floor. The SQLite files are then renamed to `events-sqlite-migrated/`,
/// kept for the operator to delete once satisfied.
///
/// Events are copied in arrival order, each batch durable in the block store before the next is read: a migration
/// that is interrupted starts again after the last event it copied.
struct StoreMigration {
    let directory: String
    let logger: Logger

    private var sqliteDirectory: String { directory + "/events" }
    private var migratedDirectory: String { directory + "/events-sqlite-migrated" }

    /// Whether the directory holds SQLite partitions not yet migrated.
    var isNeeded: Bool {
        guard let tenants = try? FileManager.default.contentsOfDirectory(atPath: sqliteDirectory) else { return false }
        return tenants.contains { tenant in
            ((try? FileManager.default.contentsOfDirectory(atPath: sqliteDirectory + "/" + tenant)) ?? []).contains { $0.hasSuffix(".sqlite") }
        }
    }

    /// Copies every event into `store`, when there is anything to migrate.
    func run(into store: BlockLogStore) throws {
        guard isNeeded else { return }
        let source = try SQLiteLogStore(directory: directory)
        logger.notice("migrating the SQLite store's events into the block store", metadata: ["data": "\(directory)"])
        var copied = 0
        for tenant in try source.tenants() {
            var query = EventQuery(tenant: tenant, limit: 10_000, arrivedAfter: store.newestArrival(tenant: tenant))
            while true {
                let page = try source.events(query)
                guard let last = page.events.last else { break }
                copied += try store.append(importing: page.events).stored
                query.arrivedAfter = last.arrival
            }
            try store.keepArrivalFloor(source.newestArrival(tenant: tenant), tenant: tenant)
        }
        try store.flush()
        var kept = migratedDirectory
        if FileManager.default.fileExists(atPath: kept) { kept += "-\(Int(Date().timeIntervalSince1970))" }
        try FileManager.default.moveItem(atPath: sqliteDirectory, toPath: kept)
        logger.notice(
            "migrated the SQLite store into the block store; the old files are kept until you delete them",
            metadata: ["events": "\(copied)", "old_files": "\(kept)"])
    }
}
