import Foundation
import KeelQuery
import Synchronization

/// `keel serve`'s ruler: each tenant's rule groups, each evaluated on its interval against that tenant's events
/// only, its alerting rules' states kept (``AlertStates``). What ``evaluate(now:engine:)`` changes comes back as
/// ``Change``s, which the server writes into the tenant's store as `alert.*` audit events.
///
/// Rules are read from `--rules DIR`: one file per tenant, `<tenant>.yaml` (or `.yml`), in Loki's ruler format
/// (``RuleFile``). A file that does not read stops the server from starting, naming the file, group and rule.
final class Ruler: Sendable {
    struct RuleState: Sendable {
        let rule: RuleFile.AlertRule
        var alerts: AlertStates
        var lastError: String?
    }

    struct GroupState: Sendable {
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
        let transition: AlertStates.Transition
    }

    private let tenants: Mutex<[String: [GroupState]]>

    init(_ files: [String: RuleFile]) {
        var tenants: [String: [GroupState]] = [:]
        for (tenant, file) in files {
            tenants[tenant] = file.groups.map { group in
                GroupState(group: group, rules: group.rules.compactMap { rule in
                    guard case .alert(let alert) = rule else { return nil }
                    return RuleState(rule: alert, alerts: AlertStates(holdFor: alert.holdFor, keepFiringFor: alert.keepFiringFor))
                })
            }
        }
        self.tenants = Mutex(tenants)
    }

    /// The rule files of `directory`, by tenant (the file's name less `.yaml` or `.yml`); none when it is `nil`.
    static func load(_ directory: String?) throws(RuleFile.Invalid) -> [String: RuleFile] {
        guard let directory else { return [:] }
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
            throw RuleFile.Invalid(description: "--rules \(directory): \(error.localizedDescription)")
        }
        var files: [String: RuleFile] = [:]
        for name in names.sorted() where name.hasSuffix(".yaml") || name.hasSuffix(".yml") {
            let tenant = String(name[..<name.lastIndex(of: ".")!])
            guard let text = try? String(contentsOfFile: directory + "/" + name, encoding: .utf8) else {
                throw RuleFile.Invalid(description: "\(name): cannot be read as UTF-8 text")
            }
            do {
                files[tenant] = try RuleFile.parse(text)
            } catch {
                throw RuleFile.Invalid(description: "\(name): \(error.description)")
            }
        }
        return files
    }

    /// Evaluates every group whose interval has passed since its last evaluation (or that never ran), at `now`
    /// (microseconds since the epoch), each tenant's rules on its own events; returns what changed. A rule whose
    /// evaluation fails keeps its alerts as they were and records the error.
    func evaluate(now: Int64, engine: LogQLEngine) -> [Change] {
        let due = tenants.withLock { tenants in
            tenants.flatMap { tenant, groups in
                groups.indices.compactMap { index -> (String, Int)? in
                    guard let last = groups[index].lastEvaluation else { return (tenant, index) }
                    let (next, overflow) = last.addingReportingOverflow(groups[index].group.interval)
                    return !overflow && next <= now ? (tenant, index) : nil
                }
            }
        }
        var changes: [Change] = []
        for (tenant, index) in due.sorted(by: { ($0.0, $0.1) < ($1.0, $1.1) }) {
            let started = Date()
            let rules = tenants.withLock { $0[tenant]![index].rules.map(\.rule) }
            // Evaluated outside the lock: reads may take a while.
            let results = rules.map { rule in Result { try AlertEvaluation.returned(rule, engine: engine, tenant: tenant, at: now) } }
            tenants.withLock { tenants in
                var group = tenants[tenant]![index]
                for (position, result) in results.enumerated() {
                    switch result {
                    case .success(let returned):
                        group.rules[position].lastError = nil
                        for transition in group.rules[position].alerts.evaluate(returned, at: now) {
                            changes.append(Change(tenant: tenant, group: group.group.name, transition: transition))
                        }
                    case .failure(let error):
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

    /// A tenant's groups as they stand.
    func groups(of tenant: String) -> [GroupState] { tenants.withLock { $0[tenant] ?? [] } }
}
