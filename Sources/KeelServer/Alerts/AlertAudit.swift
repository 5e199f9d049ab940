import KeelRules
import Keel
import KeelStore
import KeelWire
import Logging

/// The ruler's audit trail: every alert's transition and every notification's end, stored in the tenant's store as
/// `alert.*` events of storage class `audit`, made canonical by the same normaliser as any event (so a query, a tail
/// and the UI see them like any other).
extension KeelServer {
    /// The event of a transition.
    func alertEvent(_ change: Ruler.Change, now: Int64) throws -> StoredEvent {
        let transition = change.transition
        let kind: EventKind =
            switch transition.to {
            case .pending?: EventCatalogue.alertPending
            case .firing?: EventCatalogue.alertFiring
            case .resolved?: EventCatalogue.alertResolved
            case nil: EventCatalogue.alertDropped
            }
        let alert = transition.alert
        return try auditEvent(
            kind, tenant: change.tenant, message: "\(change.rule.name) \(transition.to?.rawValue ?? "inactive")", now: now,
            context: [
                ("alertname", .string(change.rule.name)), ("rule_group", .string(change.group)),
                ("labels", AlertNotification.object(alert.labels)), ("value", .number(Self.number(alert.value))),
                ("active_at", .string(AlertNotification.time(alert.activeAt))),
            ])
    }

    /// The event of a notification delivered (`failure` nil) or given up.
    func notificationEvent(_ notification: AlertOutbox.Notification, failure: String?, now: Int64) throws -> StoredEvent {
        var context: [(key: String, value: JSONValue)] = [
            ("alertnames", .array(notification.alertnames.map { .string($0) })),
            ("receiver", .string(AlertNotifier.shown(notification.receiver))), ("status", .string(notification.status)),
            ("attempts", .number(String(notification.attempts + (failure == nil ? 1 : 0)))),
        ]
        if let failure { context.append(("reason", .string(failure))) }
        let names = notification.alertnames.joined(separator: ", ")
        return try auditEvent(
            failure == nil ? EventCatalogue.alertNotified : EventCatalogue.alertNotifyFailed, tenant: notification.tenant,
            message: failure == nil
                ? "\(names) \(notification.status): sent to \(AlertNotifier.shown(notification.receiver))"
                : "\(names) \(notification.status): not sent to \(AlertNotifier.shown(notification.receiver)): \(failure!)",
            now: now, context: context)
    }

    private func auditEvent(
        _ kind: EventKind, tenant: String, message: String, now: Int64, context: [(key: String, value: JSONValue)]
    ) throws -> StoredEvent {
        let id = EventIDGenerator.next(at: Timestamp(microsecondsSinceEpoch: now))
        let record = IncomingRecord(
            members: [
                ("level", .string(kind.level.canonicalName)), ("message", .string(message)), ("event", .string(kind.name)),
                ("storage_class", .string("audit")), ("service", .string("keel-server")), ("context", .object(context)),
            ],
            identity: Array("\(id.high)-\(id.low)".utf8))
        return try normalizer.normalize(record, tenant: tenant, now: now)
    }

    /// `make()`, or `nil` with the reason logged.
    func auditing(_ make: () throws -> StoredEvent) -> StoredEvent? {
        do { return try make() } catch {
            logger.error("an alert's audit event could not be made", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// Stores audit events and wakes their tenants' tails.
    func storeAudit(_ events: [StoredEvent]) async {
        guard !events.isEmpty else { return }
        do {
            let store = self.store
            _ = try await blocking { try store.append(events) }
            for tenant in Set(events.map(\.tenant)) { arrivals.notify(tenant: tenant) }
        } catch {
            logger.error("alert audit events could not be stored", metadata: ["error": "\(error)", "events": "\(events.count)"])
        }
    }

    /// A value as JSON's number text (NaN and infinities have none: 0).
    static func number(_ value: Double) -> String { value.isFinite ? "\(value)" : "0" }

    /// The web UI's address as people reach it: `--external-url`, or where the server listens.
    var externalURL: String {
        if let url = configuration.externalURL { return url.hasSuffix("/") ? String(url.dropLast()) : url }
        let host = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
        return "http://\(host):\(configuration.port)"
    }
}
