import KeelStore
import Dispatch
import GRDB
import Synchronization

/// Copies a partition's WAL into its database file on a connection and a thread of its own, so that appends never
/// wait for the copy and its fsync.
///
/// SQLite's automatic checkpoint runs inside the commit that crosses its threshold: under sustained ingest that
/// commit, and every request queued behind it, waits for the whole WAL to be copied and synced, which sets the tail
/// latency of every ingest request (the figures are in docs/benchmarks.md, "Design measurements"). Here the writer
/// only counts what it appended; past ``bytesPerCheckpoint`` a PASSIVE checkpoint runs in the background, which takes no lock the writer needs. A passive checkpoint cannot
/// reset a WAL that is still being appended to, so once the WAL is longer than ``restartFrames`` the writer restarts
/// it itself before its next transaction (``restartIfDue(_:)``): by then nearly every frame has been copied, so that
/// costs little.
final class WALCheckpointer: Sendable {
    /// Appended bytes between background checkpoints (by default 32 MiB, about 8,192 pages of events).
    let bytesPerCheckpoint: Int
    /// WAL frames past which the writer restarts the WAL (by default 16,384: 64 MiB of 4 KiB pages).
    let restartFrames: Int

    private let connection: DatabaseQueue
    private let work = DispatchQueue(label: "keel.store.checkpoint")
    private struct State {
        var bytesSinceCheckpoint = 0
        var running = false
        var closed = false
    }
    private let state = Mutex(State())
    private let restartDue = Atomic<Bool>(false)

    init(path: String, bytesPerCheckpoint: Int = 32 << 20, restartFrames: Int = 16_384) throws {
        self.bytesPerCheckpoint = bytesPerCheckpoint
        self.restartFrames = restartFrames
        var configuration = Configuration()
        configuration.label = "keel.store.checkpoint"
        configuration.prepareDatabase { db in
            // The WAL is cut back to 4 MiB whenever it restarts, whichever connection restarts it.
            try db.execute(sql: "PRAGMA journal_size_limit = 4194304")
        }
        connection = try DatabaseQueue(path: path, configuration: configuration)
    }

    /// Called by the writer after each commit with the bytes it appended; starts a background checkpoint when
    /// enough have gathered since the last one and none is running.
    func appended(bytes: Int) {
        let start = state.withLock { state -> Bool in
            state.bytesSinceCheckpoint += bytes
            guard !state.running, !state.closed, state.bytesSinceCheckpoint >= bytesPerCheckpoint else { return false }
            state.running = true
            state.bytesSinceCheckpoint = 0
            return true
        }
        guard start else { return }
        work.async { self.checkpoint() }
    }

    private func checkpoint() {
        defer { state.withLock { $0.running = false } }
        // A failure (the file is being closed, a reader holds old frames) is retried at the next threshold.
        guard let result = try? connection.writeWithoutTransaction({ try $0.checkpoint(.passive) }) else { return }
        if result.walFrameCount > restartFrames { restartDue.store(true, ordering: .relaxed) }
    }

    /// Restarts the WAL from the writer's connection when it has grown past ``restartFrames`` (call outside a
    /// transaction). Copies what the background checkpoints have not, then starts the WAL from its beginning.
    ///
    /// A restart cannot finish while a reader is on old frames; it is then tried again before each append, and
    /// after ``patientAfter`` failures in a row it waits up to ``patience`` for the readers (they are short) rather
    /// than let the WAL grow without bound under a steady stream of queries.
    func restartIfDue(_ writer: DatabasePool) {
        guard restartDue.load(ordering: .relaxed) else { return }
        let patient = restartFailures.load(ordering: .relaxed) >= Self.patientAfter
        let restarted = (try? writer.writeWithoutTransaction { db -> Bool in
            if patient { try db.execute(sql: "PRAGMA busy_timeout = \(Self.patience.components.seconds * 1000)") }
            defer { if patient { try? db.execute(sql: "PRAGMA busy_timeout = 0") } }
            _ = try db.checkpoint(.restart)
            return true
        }) ?? false
        if restarted {
            restartDue.store(false, ordering: .relaxed)
            restartFailures.store(0, ordering: .relaxed)
        } else {
            restartFailures.add(1, ordering: .relaxed)
        }
    }

    /// Restarts that may fail (busy) before the writer waits for readers.
    static let patientAfter = 8
    /// How long a patient restart waits for readers to move on.
    static let patience: Duration = .seconds(1)
    private let restartFailures = Atomic<Int>(0)

    /// Waits for a running checkpoint and closes the connection; the partition closes its own after this one, so
    /// the last connection to close checkpoints what is left and deletes the WAL.
    func close() throws {
        state.withLock { $0.closed = true }
        work.sync {}
        try connection.close()
    }
}
