import Hummingbird
import Keel

/// `GET /prometheus/api/v1/alerts` and `/prometheus/api/v1/rules`, as Loki's ruler answers them (so Grafana lists a
/// tenant's rules and alerts): the tenant's own only.
extension KeelServer {
    func alerts(_ principal: Principal) -> Response {
        let alerts = ruler.groups(of: principal.tenant).flatMap { group in
            group.rules.flatMap { rule in rule.alerts.alerts.values.filter { $0.state != .resolved }.map { Self.alertJSON($0, rule.rule) } }
        }
        return Self.json(.ok, JSONValue.object([("status", .string("success")), ("data", .object([("alerts", .array(alerts))]))]).jsonText + "\n")
    }

    func rules(_ principal: Principal) -> Response {
        let groups: [JSONValue] = ruler.groups(of: principal.tenant).map { group in
            let rules: [JSONValue] = group.rules.map { rule in
                let active = rule.alerts.alerts.values.filter { $0.state != .resolved }
                let state = active.contains { $0.state == .firing } ? "firing" : active.isEmpty ? "inactive" : "pending"
                return .object([
                    ("state", .string(state)), ("name", .string(rule.rule.name)), ("query", .string(rule.rule.expr)),
                    ("duration", .number(Self.number(Double(rule.rule.holdFor) / 1_000_000))),
                    ("labels", Self.strings(rule.rule.labels)), ("annotations", Self.strings(rule.rule.annotations)),
                    ("alerts", .array(active.map { Self.alertJSON($0, rule.rule) })),
                    ("health", .string(rule.lastError == nil ? (group.lastEvaluation == nil ? "unknown" : "ok") : "err")),
                    ("lastError", .string(rule.lastError ?? "")), ("type", .string("alerting")),
                    ("lastEvaluation", .string(group.lastEvaluation.map { Timestamp(microsecondsSinceEpoch: $0).description } ?? "")),
                ])
            }
            return .object([
                ("name", .string(group.group.name)), ("file", .string(principal.tenant)), ("rules", .array(rules)),
                ("interval", .number(Self.number(Double(group.group.interval) / 1_000_000))),
                ("lastEvaluation", .string(group.lastEvaluation.map { Timestamp(microsecondsSinceEpoch: $0).description } ?? "")),
                ("evaluationTime", .number(Self.number(group.evaluationTime))),
            ])
        }
        return Self.json(.ok, JSONValue.object([("status", .string("success")), ("data", .object([("groups", .array(groups))]))]).jsonText + "\n")
    }

    private static func alertJSON(_ alert: AlertStates.Alert, _ rule: RuleFile.AlertRule) -> JSONValue {
        .object([
            ("labels", strings(alert.labels)), ("annotations", strings(rule.annotations)), ("state", .string(alert.state.rawValue)),
            ("activeAt", .string(Timestamp(microsecondsSinceEpoch: alert.activeAt).description)), ("value", .string(number(alert.value))),
        ])
    }

    private static func strings(_ map: [String: String]) -> JSONValue {
        .object(map.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })
    }
}
