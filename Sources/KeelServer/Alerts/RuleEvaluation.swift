import Foundation
import Keel
import KeelQuery
import KeelStore
import KeelWire
import Logging
import ServiceLifecycle

/// Evaluates the ruler's due groups every second and writes each alert's transition into its tenant's store as an
/// `alert.*` event of storage class `audit` (so a query, a tail or the UI sees it like any event).
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
    /// One pass of the ruler at `now` (µs): the groups due are evaluated, and each transition is stored as an audit
    /// event in its tenant's store.
    func evaluateRules(now: Int64) async {
        let engine = LogQLEngine(store: store)
        let ruler = self.ruler
        guard let changes = try? await blocking({ ruler.evaluate(now: now, engine: engine) }), !changes.isEmpty else { return }
        var events: [StoredEvent] = []
        for change in changes {
            do {
                events.append(try alertEvent(change, now: now))
            } catch {
                logger.error("an alert's transition could not be made into an event", metadata: ["error": "\(error)"])
            }
        }
        do {
            let store = self.store
            let batch = events
            _ = try await blocking { try store.append(batch) }
            for tenant in Set(events.map(\.tenant)) { arrivals.notify(tenant: tenant) }
        } catch {
            logger.error("alert transitions could not be stored", metadata: ["error": "\(error)", "transitions": "\(events.count)"])
        }
    }

    /// The `alert.*` audit event of a transition, made canonical by the same normaliser as any event.
    private func alertEvent(_ change: Ruler.Change, now: Int64) throws -> StoredEvent {
        let transition = change.transition
        let kind: EventKind =
            switch transition.to {
            case .pending?: EventCatalogue.alertPending
            case .firing?: EventCatalogue.alertFiring
            case .resolved?: EventCatalogue.alertResolved
            case nil: EventCatalogue.alertDropped
            }
        let alert = transition.alert
        let name = alert.labels["alertname"] ?? ""
        let labels = JSONValue.object(alert.labels.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })
        let context: [(key: String, value: JSONValue)] = [
            ("alertname", .string(name)), ("rule_group", .string(change.group)), ("labels", labels),
            ("value", .number(Self.number(alert.value))),
            ("active_at", .string(Timestamp(microsecondsSinceEpoch: alert.activeAt).description)),
        ]
        let id = EventIDGenerator.next(at: Timestamp(microsecondsSinceEpoch: now))
        let record = IncomingRecord(
            members: [
                ("level", .string(kind.level.canonicalName)), ("message", .string("\(name) \(transition.to?.rawValue ?? "inactive")")),
                ("event", .string(kind.name)), ("storage_class", .string("audit")), ("service", .string("keel-server")),
                ("context", .object(context)),
            ],
            identity: Array("\(id.high)-\(id.low)".utf8))
        return try normalizer.normalize(record, tenant: change.tenant, now: now)
    }

    /// A value as JSON's number text (NaN and infinities have none: 0).
    static func number(_ value: Double) -> String { value.isFinite ? "\(value)" : "0" }
}
