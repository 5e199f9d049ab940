import KeelBlockStore
import Logging
import ServiceLifecycle

/// The block store's background work, every ``ServerConfiguration/maintenanceInterval``: flushing heads whose
/// oldest event has waited long enough and merging small blocks (``BlockLogStore/maintain(mergeTime:)``). On
/// shutdown it flushes every head, so that a restart has no log to replay. Nothing to do for the SQLite store.
struct StoreMaintenance: Service {
    let server: KeelServer

    func run() async throws {
        guard let store = server.store as? BlockLogStore else {
            // A service that returns ends the server: wait for the shutdown like the others.
            try? await gracefulShutdown()
            return
        }
        var failures = RepeatedFailures()
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await blocking { try store.maintain() }
                failures.succeeded()
            } catch {
                let decision = failures.failed("\(error)", at: .now)
                if decision.log {
                    server.logger.error("store maintenance failed", metadata: ["error": "\(error)", "occurrences": "\(decision.occurrences)"])
                }
            }
            do {
                try await cancelWhenGracefulShutdown { [interval = server.configuration.maintenanceInterval] in try await Task.sleep(for: interval) }
            } catch {
                break  // cancelled, or shutting down
            }
        }
        do {
            try store.flush()
        } catch {
            server.logger.error("flushing the store's heads at shutdown failed; they are replayed from their logs at the next start", metadata: ["error": "\(error)"])
        }
    }
}
