import KeelRules
import Foundation
import KeelQuery
import Synchronization

/// `keel serve`'s ruler: each tenant's rule groups, in namespaces (as Loki's ruler keeps them), each group evaluated
/// on its interval against that tenant's events only, its alerting rules' states kept (``AlertStates``). What
/// ``evaluate(now:engine:)`` changes comes back as ``Change``s, which the server stores as `alert.*` audit events and
/// hands to the notifier.
///
/// A namespace comes from `--rules DIR` (read at start, not changed through the API) or from the rules API
/// (``RuleStore`` keeps those in the data directory). Replacing a group keeps the alerts of every rule that is
/// unchanged in it, as Prometheus does on a reload.
final class Ruler: Sendable {
    struct RuleState: Sendable {
        let rule: RuleFile.Rule
        var alerts: AlertStates
        var lastError: String?
        var lastEvaluation: Int64?

        init(_ rule: RuleFile.Rule, restoring alerts: [AlertStates.Alert] = []) {
            self.rule = rule
            switch rule {
            case .alert(let alert):
                self.alerts = AlertStates(holdFor: alert.holdFor, keepFiringFor: alert.keepFiringFor, restoring: alerts)
            case .record:
                self.alerts = AlertStates(holdFor: 0)
            }
        }

        var name: String { rule.name }
    }

    struct GroupState: Sendable {
        let namespace: String
        let group: RuleFile.Group
        var rules: [RuleState]
        var lastEvaluation: Int64?
        /// Seconds the last evaluation took.
        var evaluationTime: Double = 0
    }

    /// A transition, with where it happened.
    struct Change: Sendable {
        let tenant: String
        let group: String
        let rule: RuleFile.AlertRule
        let transition: AlertStates.Transition
    }

    /// The alerts of one rule, as kept across a restart.
    struct SavedRule: Sendable, Codable, Equatable {
        let tenant: String
        let namespace: String
        let group: String
        let rule: String
        let expr: String
        let alerts: [AlertStates.Alert]
    }

    /// A refusal of the rules API.
    enum Refusal: Error, Equatable, CustomStringConvertible {
        case readOnly(namespace: String)
        case unknownNamespace(String)
        case unknownGroup(String)

        var description: String {
            switch self {
            case .readOnly(let namespace): "namespace \"\(namespace)\" is read from --rules: change its file and restart"
            case .unknownNamespace(let namespace): "no namespace \"\(namespace)\""
            case .unknownGroup(let group): "no group \"\(group)\""
            }
        }
    }

    private let tenants: Mutex<[String: [GroupState]]>
    /// The namespaces read from `--rules`, by tenant.
    private let fixed: [String: Set<String>]

    init(_ namespaces: [RuleNamespace], fixed: [RuleNamespace] = []) {
        var tenants: [String: [GroupState]] = [:]
        for namespace in (fixed + namespaces) {
            tenants[namespace.tenant, default: []] += namespace.file.groups.map { Self.state(of: $0, in: namespace.name) }
        }
        self.tenants = Mutex(tenants.mapValues(Self.ordered))
        self.fixed = Dictionary(grouping: fixed, by: \.tenant).mapValues { Set($0.map(\.name)) }
    }

    private static func state(of group: RuleFile.Group, in namespace: String, keeping old: GroupState? = nil) -> GroupState {
        GroupState(namespace: namespace, group: group, rules: group.rules.map { rule in
            // A rule unchanged keeps its alerts.
            if let kept = old?.rules.first(where: { $0.rule == rule }) { return kept }
            return RuleState(rule)
        })
    }

    private static func ordered(_ groups: [GroupState]) -> [GroupState] {
        groups.sorted { ($0.namespace, $0.group.name) < ($1.namespace, $1.group.name) }
    }

    // MARK: evaluation

    /// Evaluates every group whose interval has passed since its last evaluation (or that never ran), at `now`
    /// (microseconds since the epoch), each tenant's rules on its own events; returns what changed. A rule whose
    /// evaluation fails keeps its alerts as they were and records the error.
    func evaluate(now: Int64, engine: LogQLEngine) -> [Change] {
        let due = tenants.withLock { tenants in
            tenants.flatMap { tenant, groups in
                groups.compactMap { group -> (String, String, String)? in
                    let key = (tenant, group.namespace, group.group.name)
                    guard let last = group.lastEvaluation else { return key }
                    let (next, overflow) = last.addingReportingOverflow(group.group.interval)
                    return !overflow && next <= now ? key : nil
                }
            }
        }
        var changes: [Change] = []
        // One tenant's groups at a time, sharing the range aggregations their rules have in common (``RangeMemo``).
        var engine = engine
        var memoTenant: String?
        for (tenant, namespace, name) in due.sorted(by: { ($0.0, $0.1, $0.2) < ($1.0, $1.1, $1.2) }) {
            let started = Date()
            if tenant != memoTenant {
                engine.memo = RangeMemo()
                memoTenant = tenant
            }
            guard let group = tenants.withLock({ $0[tenant]?.first { $0.namespace == namespace && $0.group.name == name } }) else {
                continue  // deleted meanwhile
            }
            // Evaluated outside the lock: reads may take a while.
            let results = group.group.rules.map { rule in Result { try AlertEvaluation.returned(rule, engine: engine, tenant: tenant, at: now) } }
            tenants.withLock { tenants in
                // The group as it is now: replaced meanwhile, its evaluation is dropped.
                guard let index = tenants[tenant]?.firstIndex(where: { $0.namespace == namespace && $0.group.name == name }),
                    tenants[tenant]![index].group == group.group
                else { return }
                var group = tenants[tenant]![index]
                for (position, result) in results.enumerated() {
                    group.rules[position].lastEvaluation = now
                    switch (result, group.rules[position].rule) {
                    case (.success(let returned), .alert(let rule)):
                        group.rules[position].lastError = nil
                        for transition in group.rules[position].alerts.evaluate(returned, at: now) {
                            changes.append(Change(tenant: tenant, group: name, rule: rule, transition: transition))
                        }
                    case (.success, .record):
                        group.rules[position].lastError = nil
                    case (.failure(let error), _):
                        group.rules[position].lastError = "\(error)"
                    }
                }
                group.lastEvaluation = now
                group.evaluationTime = Date().timeIntervalSince(started)
                tenants[tenant]![index] = group
            }
        }
        return changes
    }

    /// An alert to send an Alertmanager, with where it comes from.
    struct Due: Sendable {
        let group: String
        /// The group's interval (µs).
        let interval: Int64
        let rule: RuleFile.AlertRule
        let alert: AlertStates.Alert
    }

    /// The alerts each tenant's Alertmanagers are to be sent at `now` (``AlertStates/sendable(at:resendDelay:)``);
    /// marks them sent.
    func sendable(at now: Int64, resendDelay: Int64) -> [String: [Due]] {
        tenants.withLock { tenants in
            var out: [String: [Due]] = [:]
            for tenant in tenants.keys.sorted() {
                for index in tenants[tenant]!.indices {
                    let group = tenants[tenant]![index].group
                    for position in tenants[tenant]![index].rules.indices {
                        guard case .alert(let rule) = tenants[tenant]![index].rules[position].rule else { continue }
                        let sent = tenants[tenant]![index].rules[position].alerts.sendable(at: now, resendDelay: resendDelay)
                        out[tenant, default: []] += sent.map { Due(group: group.name, interval: group.interval, rule: rule, alert: $0) }
                    }
                }
            }
            return out.filter { !$0.value.isEmpty }
        }
    }

    // MARK: what is kept across a restart

    /// Every rule's alerts, to be written down.
    func saved() -> [SavedRule] {
        tenants.withLock { tenants in
            tenants.keys.sorted().flatMap { tenant in
                tenants[tenant]!.flatMap { group in
                    group.rules.compactMap { rule in
                        rule.alerts.alerts.isEmpty
                            ? nil
                            : SavedRule(
                                tenant: tenant, namespace: group.namespace, group: group.group.name, rule: rule.name, expr: rule.rule.expr,
                                alerts: rule.alerts.alerts.values.sorted { $0.activeAt < $1.activeAt })
                    }
                }
            }
        }
    }

    /// Puts back alerts written down by ``saved()`` before a restart, for the rules that are still there (same
    /// tenant, namespace, group, name and expression): a firing alert stays firing without firing again.
    func restore(_ saved: [SavedRule]) {
        tenants.withLock { tenants in
            for entry in saved {
                guard let index = tenants[entry.tenant]?.firstIndex(where: { $0.namespace == entry.namespace && $0.group.name == entry.group }),
                    let position = tenants[entry.tenant]![index].rules.firstIndex(where: { $0.name == entry.rule && $0.rule.expr == entry.expr })
                else { continue }
                let rule = tenants[entry.tenant]![index].rules[position].rule
                tenants[entry.tenant]![index].rules[position] = RuleState(rule, restoring: entry.alerts)
            }
        }
    }

    // MARK: the rules API

    /// A tenant's groups as they stand.
    func groups(of tenant: String) -> [GroupState] { tenants.withLock { $0[tenant] ?? [] } }

    func isFixed(tenant: String, namespace: String) -> Bool { fixed[tenant]?.contains(namespace) ?? false }

    /// Adds `group` to a namespace of `tenant`, or replaces the group of its name; returns the namespace as it now is.
    func set(_ group: RuleFile.Group, tenant: String, namespace: String) throws(Refusal) -> RuleNamespace {
        guard !isFixed(tenant: tenant, namespace: namespace) else { throw .readOnly(namespace: namespace) }
        return tenants.withLock { tenants in
            var groups = tenants[tenant] ?? []
            let old = groups.firstIndex { $0.namespace == namespace && $0.group.name == group.name }
            let state = Self.state(of: group, in: namespace, keeping: old.map { groups[$0] })
            if let old { groups[old] = state } else { groups.append(state) }
            tenants[tenant] = Self.ordered(groups)
            return Self.namespace(namespace, of: tenant, in: groups)
        }
    }

    /// Removes a group (`group` given) or a whole namespace; returns what is left of the namespace.
    func remove(tenant: String, namespace: String, group: String?) throws(Refusal) -> RuleNamespace {
        guard !isFixed(tenant: tenant, namespace: namespace) else { throw .readOnly(namespace: namespace) }
        let result: Result<RuleNamespace, Refusal> = tenants.withLock { tenants in
            var groups = tenants[tenant] ?? []
            guard groups.contains(where: { $0.namespace == namespace }) else { return .failure(.unknownNamespace(namespace)) }
            if let group {
                guard let index = groups.firstIndex(where: { $0.namespace == namespace && $0.group.name == group }) else {
                    return .failure(.unknownGroup(group))
                }
                groups.remove(at: index)
            } else {
                groups.removeAll { $0.namespace == namespace }
            }
            tenants[tenant] = groups
            return .success(Self.namespace(namespace, of: tenant, in: groups))
        }
        return try result.get()
    }

    private static func namespace(_ name: String, of tenant: String, in groups: [GroupState]) -> RuleNamespace {
        RuleNamespace(tenant: tenant, name: name, file: RuleFile(groups: groups.filter { $0.namespace == name }.map(\.group)))
    }
}

/// One tenant's namespace of rule groups: a file of `--rules DIR`, or what the rules API was sent.
struct RuleNamespace: Sendable, Equatable {
    let tenant: String
    let name: String
    var file: RuleFile

    /// A namespace's name is kept as a file's: 1–128 of A–Z a–z 0–9 _ - . not starting with a dot.
    static func isValidName(_ name: String) -> Bool {
        (1...128).contains(name.utf8.count) && !name.hasPrefix(".")
            && name.utf8.allSatisfy { $0 < 0x80 && (Character(UnicodeScalar($0)).isLetter || Character(UnicodeScalar($0)).isNumber || "_-.".utf8.contains($0)) }
    }
}
