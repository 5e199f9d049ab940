import KeelRules
import Foundation
import Keel
import KeelQuery
import KeelStore
import Logging
import ServiceLifecycle

/// Evaluates the ruler's due groups every second; each alert's transition is stored in its tenant's store as an
/// `alert.*` audit event, and notifications are queued for the receivers.
struct RuleEvaluation: Service {
    let server: KeelServer

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            await server.evaluateRules(now: Timestamp.now().microsecondsSinceEpoch)
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
            } catch {
                break  // cancelled, or shutting down
            }
        }
    }
}

extension KeelServer {
    /// One pass of the ruler at `now` (µs): the groups due are evaluated; each transition is stored as an audit event
    /// and, firing or resolved, sent to the webhooks; the Alertmanagers are sent the alerts due to them
    /// (``AlertStates/sendable(at:resendDelay:)``); and the alerts' states are written down for a restart.
    func evaluateRules(now: Int64) async {
        let engine = LogQLEngine(store: store)
        let ruler = self.ruler
        let changes = (try? await blocking { ruler.evaluate(now: now, engine: engine) }) ?? []
        let base = externalURL
        var outgoing: [AlertNotifier.Outgoing] = []
        for change in changes where change.transition.to == .firing || change.transition.to == .resolved {
            let notification = AlertNotification(
                tenant: change.tenant, group: change.group, rule: change.rule, alert: change.transition.alert, externalURL: base)
            for receiver in configuration.alertReceivers {
                let body: String
                switch receiver.kind {
                case .alertmanager: continue
                case .webhook: body = notification.webhookBody(now: now)
                case .slack: body = notification.slackBody(now: now)
                }
                outgoing.append(.init(receiver: receiver, tenant: change.tenant, status: notification.status, alertnames: [change.rule.name], body: body))
            }
        }
        let alertmanagers = configuration.alertReceivers.filter { $0.kind == .alertmanager }
        let resend = Int64(configuration.alertResendDelay / .microseconds(1))
        if !alertmanagers.isEmpty {
            for (tenant, due) in ruler.sendable(at: now, resendDelay: resend) {
                let batch = due.map {
                    AlertNotification(tenant: tenant, group: $0.group, rule: $0.rule, alert: $0.alert, externalURL: base)
                }
                // Valid for four resend delays (or intervals, up to six hours each): an Alertmanager resolves what Keel
                // stops sending.
                let body = JSONValue.array(zip(batch, due).map { notification, due in
                    notification.alertmanagerAlert(validFor: 4 * min(max(resend, due.interval), 6 * 3_600_000_000), now: now)
                }).jsonText
                let status = batch.contains { $0.status == "firing" } ? "firing" : "resolved"
                let names = Array(Set(batch.map(\.rule.name))).sorted()
                for receiver in alertmanagers {
                    outgoing.append(.init(receiver: receiver, tenant: tenant, status: status, alertnames: names, body: body, key: tenant))
                }
            }
        }
        var events = changes.compactMap { change in auditing { try alertEvent(change, now: now) } }
        let dropped = notifier.enqueue(outgoing, at: now)
        events += dropped.compactMap { notification in
            auditing { try notificationEvent(notification, failure: "dropped: the notification queue was full", now: now) }
        }
        metrics.notificationsDropped(dropped.count)
        if !changes.isEmpty || !outgoing.isEmpty { saveAlertStates() }
        await storeAudit(events)
    }
}
