import AsyncHTTPClient
import Keel
import KeelStore
import ServiceLifecycle

/// Sends the notifications that are due, a few times a second, and audits each one delivered or given up.
struct NotificationDelivery: Service {
    let server: KeelServer

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            await server.deliverNotifications(client: .shared)
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(200)) }
            } catch {
                break  // cancelled, or shutting down: what waits is in the data directory
            }
        }
    }
}

extension KeelServer {
    func deliverNotifications(client: HTTPClient) async {
        let now = Timestamp.now().microsecondsSinceEpoch
        var events: [StoredEvent] = []
        for settlement in await notifier.deliverDue(client: client, now: now) {
            switch settlement {
            case .delivered(let notification):
                metrics.notified(notification.receiver.kind, outcome: "delivered")
                events += [auditing { try notificationEvent(notification, failure: nil, now: now) }].compactMap { $0 }
            case .failed(let notification, let reason):
                metrics.notified(notification.receiver.kind, outcome: "failed")
                events += [auditing { try notificationEvent(notification, failure: reason, now: now) }].compactMap { $0 }
            case .retrying(let notification, _):
                metrics.notified(notification.receiver.kind, outcome: "retried")
            case .superseded:
                break
            }
        }
        await storeAudit(events)
    }
}
