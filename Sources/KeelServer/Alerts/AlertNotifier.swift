import KeelRules
import AsyncHTTPClient
import Foundation
import Keel
import KeelBlockStore
import Logging
import NIOCore
import NIOHTTP1
import Synchronization

/// Sends alert notifications to the configured receivers: queued (``AlertOutbox``) as the ruler's evaluations
/// make them, sent in order per receiver, retried as ``DeliveryRetry`` decides, and kept in the data directory
/// (`alerts/notifications.json`, written after every change) so that what waits is sent after a restart.
final class AlertNotifier: Sendable {
    struct Settings: Sendable {
        var receivers: [AlertReceiver] = []
        /// How often an Alertmanager is sent a firing alert again (Prometheus's `resend_delay`).
        var resendDelay: Duration = .seconds(60)
        var retry = DeliveryRetry()
        /// Notifications kept waiting at most; the oldest is dropped, and counted, past it.
        var capacity = 10_000
        /// How long one attempt may take.
        var timeout: Duration = .seconds(10)
    }

    let settings: Settings
    private let queue: Mutex<AlertOutbox>
    private let path: String
    private let logger: Logger

    init(settings: Settings, dataDirectory: String, logger: Logger) {
        self.settings = settings
        self.path = dataDirectory + "/alerts/notifications.json"
        self.logger = logger
        var queue = AlertOutbox(capacity: settings.capacity)
        if let bytes = try? DurableFiles.read(path, missingIsEmpty: true), !bytes.isEmpty {
            do {
                let saved = try JSONDecoder().decode(AlertOutbox.self, from: Data(bytes))
                queue = saved.keeping(receivers: Set(settings.receivers), capacity: settings.capacity)
                if queue.items.count < saved.items.count {
                    logger.warning(
                        "alert notifications for receivers no longer configured are dropped",
                        metadata: ["dropped": "\(saved.items.count - queue.items.count)"])
                }
            } catch {
                logger.error("the alert notification queue could not be read; it starts empty", metadata: ["path": "\(path)", "error": "\(error)"])
            }
        }
        self.queue = Mutex(queue)
    }

    var waiting: [AlertOutbox.Notification] { queue.withLock { $0.items } }
    var dropped: Int { queue.withLock { $0.dropped } }

    /// Queues notifications made at `now`; returns those dropped to make room.
    func enqueue(_ notifications: [Outgoing], at now: Int64) -> [AlertOutbox.Notification] {
        guard !notifications.isEmpty else { return [] }
        let dropped = queue.withLock { queue in
            notifications.flatMap {
                queue.enqueue(
                    receiver: $0.receiver, tenant: $0.tenant, status: $0.status, alertnames: $0.alertnames, body: $0.body,
                    key: $0.key, at: now)
            }
        }
        save()
        return dropped
    }

    /// A notification to queue.
    struct Outgoing: Sendable {
        let receiver: AlertReceiver
        let tenant: String
        let status: String
        let alertnames: [String]
        let body: String
        var key: String? = nil
    }

    /// Sends what is due at `now` (at most one per receiver, all receivers at once) and settles each attempt.
    func deliverDue(client: HTTPClient, now: Int64) async -> [AlertOutbox.Settlement] {
        let due = queue.withLock { $0.due(at: now) }
        guard !due.isEmpty else { return [] }
        let outcomes = await withTaskGroup(of: (UInt64, DeliveryRetry.Outcome).self) { group in
            for notification in due {
                group.addTask { (notification.id, await self.send(notification, client: client)) }
            }
            return await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
        let settled = queue.withLock { queue in
            due.map { notification in
                queue.settle(
                    id: notification.id, outcome: outcomes[notification.id] ?? .failed, at: Timestamp.now().microsecondsSinceEpoch,
                    retry: settings.retry, random: Double.random(in: 0...1))
            }
        }
        save()
        return settled
    }

    private func send(_ notification: AlertOutbox.Notification, client: HTTPClient) async -> DeliveryRetry.Outcome {
        var request = HTTPClientRequest(url: Self.address(of: notification.receiver))
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "keel-ruler")
        request.body = .bytes(ByteBuffer(string: notification.body))
        do {
            let response = try await client.execute(request, timeout: .nanoseconds(Int64(settings.timeout / .nanoseconds(1))))
            // The body is not needed; read a little of it so the connection can be used again.
            _ = try? await response.body.collect(upTo: 64 << 10)
            let retryAfter = response.headers.first(name: "Retry-After").flatMap(Int.init).map { Duration.seconds(max(0, $0)) }
            if !(200..<300).contains(Int(response.status.code)) {
                logger.warning(
                    "an alert receiver refused a notification",
                    metadata: ["receiver": "\(Self.shown(notification.receiver))", "status": "\(response.status.code)"])
            }
            return .status(Int(response.status.code), retryAfter: retryAfter)
        } catch {
            logger.warning("an alert notification could not be sent", metadata: ["receiver": "\(Self.shown(notification.receiver))", "error": "\(error)"])
            return .failed
        }
    }

    /// When the next notification may be sent (µs), or `nil` when none waits.
    var nextDue: Int64? { queue.withLock { $0.nextDue } }

    private func save() {
        let encoded: Data
        do { encoded = try queue.withLock { try JSONEncoder().encode($0) } } catch {
            logger.error("the alert notification queue could not be encoded", metadata: ["error": "\(error)"])
            return
        }
        do {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            // Webhook addresses may hold secrets (Slack's do): the file is the server's alone.
            try DurableFiles.write(Array(encoded), to: path, mode: 0o600)
        } catch {
            logger.error("the alert notification queue could not be written", metadata: ["path": "\(path)", "error": "\(error)"])
        }
    }

    /// Where a receiver is sent to: an Alertmanager's API under its address.
    static func address(of receiver: AlertReceiver) -> String {
        guard receiver.kind == .alertmanager else { return receiver.url }
        return (receiver.url.hasSuffix("/") ? String(receiver.url.dropLast()) : receiver.url) + "/api/v2/alerts"
    }

    /// A receiver as logs and audit events show it: its kind and host, never its path (a webhook's secret).
    static func shown(_ receiver: AlertReceiver) -> String {
        "\(receiver.kind.rawValue) \(URLComponents(string: receiver.url)?.host ?? "?")"
    }
}

extension AlertOutbox {
    /// What was saved, less notifications for receivers no longer configured, within `capacity` (and the dropped
    /// counted).
    func keeping(receivers: Set<AlertReceiver>, capacity: Int) -> AlertOutbox {
        var kept = self
        kept.retain { receivers.contains($0.receiver) }
        kept.resize(capacity)
        return kept
    }
}
