public import KeelBlockStore
public import KeelSQLiteStore
public import KeelStore
import Foundation
public import Logging
import Synchronization

/// Which store `keel serve` keeps events in (`--store`).
public enum StoreChoice: String, Sendable, CaseIterable {
    /// Store v2, the default: compressed column blocks with filters, a head and its write-ahead log
    /// (``BlockLogStore``).
    case blocks
    /// The first store: one SQLite database per tenant-day (``SQLiteLogStore``).
    case sqlite
}

/// What the store reports going wrong in the background, logged and counted for `/metrics`: blocks that failed their
/// checksum (each logged once) and flushes of a head into a block that failed (logged as ``RepeatedFailures`` says:
/// the first of each kind, then once a minute with how many there were).
final class StoreDamage: Sendable {
    private let count = Mutex(0)
    private let flushes = Mutex((count: 0, failures: RepeatedFailures()))
    private let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    func report(_ file: String, _ error: any Error) {
        count.withLock { $0 += 1 }
        logger.error(
            "a block of the store cannot be read; its events are skipped until it is restored from a backup",
            metadata: ["file": "\(file)", "error": "\(error)"])
    }

    func flushFailed(_ day: String, _ error: any Error) {
        let decision = flushes.withLock { flushes in
            flushes.count += 1
            return flushes.failures.failed("\(error)", at: .now)
        }
        guard decision.log else { return }
        logger.error(
            "a flush of the store's head into a block failed; its events stay in the head and its log, and appends wait once it holds twice a block",
            metadata: ["day": "\(day)", "error": "\(error)", "occurrences": "\(decision.occurrences)"])
    }

    var blocks: Int { count.withLock { $0 } }
    var flushFailures: Int { flushes.withLock { $0.count } }
}

extension KeelServer {
    /// Opens the data directory's store as `configuration` says. A directory that holds SQLite partitions and is
    /// opened with the block store is migrated first (``StoreMigration``).
    static func openStore(_ configuration: ServerConfiguration, damage: StoreDamage, logger: Logger) throws -> any LogStore {
        switch configuration.store {
        case .sqlite:
            return try SQLiteLogStore(
                directory: configuration.dataDirectory, durability: configuration.durability,
                maximumOpenPartitions: configuration.maximumOpenPartitions)
        case .blocks:
            let store = try BlockLogStore(
                directory: configuration.dataDirectory, durability: configuration.durability == .full ? .full : .normal,
                policy: configuration.flushPolicy, limits: configuration.blockLimits, damaged: damage.report,
                flushFailed: damage.flushFailed)
            try StoreMigration(directory: configuration.dataDirectory, logger: logger).run(into: store)
            return store
        }
    }
}
