public import Keel
public import KeelStore
import Logging
import ServiceLifecycle

/// Drops each tenant's days once they are older than its retention (``ServerConfiguration/retention(for:)``), whole
/// partitions at a time, every ``ServerConfiguration/retentionInterval``. It ends when the server shuts down or its
/// task is cancelled (another service failed); a failure that repeats is retried with backoff and logged once per
/// minute with a count (``RepeatedFailures``).
struct RetentionJob: Service {
    let server: KeelServer

    func run() async throws {
        var failures = RepeatedFailures()
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            var wait = server.configuration.retentionInterval
            do {
                try await server.applyRetention()
                failures.succeeded()
            } catch is CancellationError {
                return
            } catch {
                let decision = failures.failed("\(error)", at: .now)
                if decision.log {
                    server.logger.error("retention failed", metadata: ["error": "\(error)", "occurrences": "\(decision.occurrences)"])
                }
                wait = min(wait, decision.retryAfter)
            }
            do {
                try await cancelWhenGracefulShutdown { [wait] in try await Task.sleep(for: wait) }
            } catch {
                return  // cancelled, or shutting down
            }
        }
    }
}

extension KeelServer {
    /// Applies retention once, as of `now` (microseconds since the epoch; the present when `nil`); returns the
    /// events dropped per tenant.
    @discardableResult
    public func applyRetention(now: Int64? = nil) async throws -> [String: Int] {
        let now = now ?? Timestamp.now().microsecondsSinceEpoch
        let store = self.store
        var dropped: [String: Int] = [:]
        for tenant in try await blocking({ try store.tenants() }) {
            let days = Int64(configuration.retention(for: tenant))
            let cutoff = now - days * 86_400_000_000
            let count = try await blocking { try store.dropDays(tenant: tenant, before: cutoff) }
            if count > 0 {
                dropped[tenant] = count
                logger.notice(
                    "retention dropped old days", metadata: ["tenant_id": "\(tenant)", "events": "\(count)", "retention_days": "\(days)"])
            }
        }
        return dropped
    }
}
