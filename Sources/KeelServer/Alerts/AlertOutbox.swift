import Keel

/// Where alert notifications go: an Alertmanager (its API v2), a generic webhook, or a Slack incoming webhook.
public struct AlertReceiver: Sendable, Codable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// `POST <url>/api/v2/alerts` with the alerts Prometheus sends: every active alert again each `resend_delay`.
        case alertmanager
        /// `POST <url>` with one JSON body per transition (firing, resolved).
        case webhook
        /// A Slack incoming webhook: `POST <url>` with `{"text": …}` per transition.
        case slack
    }

    public let kind: Kind
    public let url: String

    public init(kind: Kind, url: String) {
        self.kind = kind
        self.url = url
    }

    public var description: String { "\(kind.rawValue) \(url)" }
}

/// The notifications waiting to be sent, as a pure state machine: bounded (the oldest is dropped, and counted, when a
/// new one finds it full), in order per receiver (a receiver never sees an alert's resolution before its firing),
/// and each retried as ``DeliveryRetry`` decides. A notification with a `key` replaces a waiting one of the same
/// receiver and key: an Alertmanager is sent a tenant's whole state, so only the latest matters. Codable, so that
/// what waits survives a restart.
struct AlertOutbox: Sendable, Codable, Equatable {
    struct Notification: Sendable, Codable, Equatable {
        let id: UInt64
        let receiver: AlertReceiver
        let tenant: String
        /// `firing` or `resolved` (an Alertmanager batch: `firing` when any alert in it fires).
        let status: String
        let alertnames: [String]
        /// The request body, made when the notification was queued.
        let body: String
        let key: String?
        var attempts: Int = 0
        /// Not to be sent before this (µs since the epoch): its backoff.
        var notBefore: Int64
        let queuedAt: Int64
    }

    enum Settlement: Sendable, Equatable {
        case delivered(Notification)
        case retrying(Notification, after: Duration)
        case failed(Notification, reason: String)
        /// Replaced while it was being sent: nothing to do.
        case superseded
    }

    private(set) var capacity: Int
    private(set) var items: [Notification] = []
    /// Notifications dropped because the queue was full, since the data directory was made.
    private(set) var dropped = 0
    private var nextID: UInt64 = 1

    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// Queues a notification; returns those dropped to make room (the oldest).
    mutating func enqueue(
        receiver: AlertReceiver, tenant: String, status: String, alertnames: [String], body: String, key: String? = nil, at now: Int64
    ) -> [Notification] {
        let notification = Notification(
            id: nextID, receiver: receiver, tenant: tenant, status: status, alertnames: alertnames, body: body, key: key,
            notBefore: now, queuedAt: now)
        nextID &+= 1
        if let key, let index = items.firstIndex(where: { $0.receiver == receiver && $0.key == key }) {
            // In its place, keeping the backoff of the one it replaces.
            var replacement = notification
            replacement.notBefore = max(now, items[index].notBefore)
            items[index] = replacement
            return []
        }
        var removed: [Notification] = []
        while items.count >= capacity { removed.append(items.removeFirst()) }
        dropped += removed.count
        items.append(notification)
        return removed
    }

    /// Keeps only the notifications `keep` accepts.
    mutating func retain(_ keep: (Notification) -> Bool) { items.removeAll { !keep($0) } }

    /// A new capacity; the oldest past it are dropped and counted.
    mutating func resize(_ capacity: Int) {
        self.capacity = max(1, capacity)
        while items.count > self.capacity {
            items.removeFirst()
            dropped += 1
        }
    }

    /// What may be sent at `now`: the first waiting notification of each receiver, when its backoff has passed.
    func due(at now: Int64) -> [Notification] {
        var seen: Set<AlertReceiver> = []
        return items.filter { seen.insert($0.receiver).inserted && $0.notBefore <= now }
    }

    /// When the next notification may be sent (µs), or `nil` when none waits.
    var nextDue: Int64? {
        var seen: Set<AlertReceiver> = []
        return items.filter { seen.insert($0.receiver).inserted }.map(\.notBefore).min()
    }

    /// What an attempt to send notification `id` at `now` came to; `random` (0…1) picks the backoff's jitter.
    mutating func settle(id: UInt64, outcome: DeliveryRetry.Outcome, at now: Int64, retry: DeliveryRetry, random: Double) -> Settlement {
        guard let index = items.firstIndex(where: { $0.id == id }) else { return .superseded }
        var notification = items[index]
        switch retry.decide(outcome, attempt: notification.attempts, random: random) {
        case .delivered:
            items.remove(at: index)
            return .delivered(notification)
        case .giveUp(let reason):
            items.remove(at: index)
            return .failed(notification, reason: reason)
        case .retry(let wait):
            notification.attempts += 1
            let micros = Int64(wait / .microseconds(1))
            let (next, overflow) = now.addingReportingOverflow(micros)
            notification.notBefore = overflow ? .max : next
            items[index] = notification
            return .retrying(notification, after: wait)
        }
    }
}
