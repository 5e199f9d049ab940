import KeelRules
import Hummingbird
import Keel
import Logging
import Synchronization

/// The ruler's HTTP API, each for the request's tenant only:
///
/// - `GET /prometheus/api/v1/alerts` and `/prometheus/api/v1/rules`, as Loki's ruler answers them (so Grafana lists
///   a tenant's rules and alerts);
/// - Loki's rules API (also under `/prometheus/config/v1/rules`, where Grafana's ruler client looks): `GET
///   /loki/api/v1/rules[/{namespace}[/{group}]]` answers YAML; `POST /loki/api/v1/rules/{namespace}` (admin) adds or
///   replaces one group, sent as YAML; `DELETE /loki/api/v1/rules/{namespace}[/{group}]` (admin) removes one. A group
///   that does not read, or whose query the engine refuses, is refused with its rule's name and the reason, and the
///   working set stays as it was.
extension KeelServer {
    static let rulePaths = ["/loki/api/v1/rules", "/prometheus/config/v1/rules"]

    func addRuleRoutes(read: RouterGroup<ServerRequestContext>, admin: RouterGroup<ServerRequestContext>) {
        read.get("/prometheus/api/v1/alerts") { _, context in await context.authenticated { self.alerts($0) } }
        read.get("/prometheus/api/v1/rules") { _, context in await context.authenticated { self.rules($0) } }
        for path in Self.rulePaths {
            read.get(RouterPath(path)) { _, context in await context.authenticated { self.ruleYAML($0, namespace: nil, group: nil) } }
            read.get(RouterPath(path + "/:namespace")) { _, context in
                await context.authenticated { self.ruleYAML($0, namespace: context.parameters.get("namespace"), group: nil) }
            }
            read.get(RouterPath(path + "/:namespace/:group")) { _, context in
                await context.authenticated {
                    self.ruleYAML($0, namespace: context.parameters.get("namespace"), group: context.parameters.get("group"))
                }
            }
            admin.post(RouterPath(path + "/:namespace")) { request, context in
                let namespace = context.parameters.get("namespace") ?? ""
                return await context.authenticated { await self.setRuleGroup(request, $0, namespace: namespace) }
            }
            admin.delete(RouterPath(path + "/:namespace")) { _, context in
                await context.authenticated { self.removeRules($0, namespace: context.parameters.get("namespace") ?? "", group: nil) }
            }
            admin.delete(RouterPath(path + "/:namespace/:group")) { _, context in
                await context.authenticated {
                    self.removeRules($0, namespace: context.parameters.get("namespace") ?? "", group: context.parameters.get("group"))
                }
            }
        }
    }

    // MARK: Loki's rules API

    /// The tenant's namespaces (or one, or one group) as YAML; 404 when there is nothing, as Loki answers.
    func ruleYAML(_ principal: Principal, namespace: String?, group: String?) -> Response {
        let groups = ruler.groups(of: principal.tenant).filter { namespace == nil || $0.namespace == namespace }
        if let group {
            guard let found = groups.first(where: { $0.group.name == group }) else {
                return Self.error(.notFound, "not_found", "no group \"\(group)\" in namespace \"\(namespace ?? "")\"")
            }
            return Self.yaml(found.group.definition)
        }
        guard !groups.isEmpty else { return Self.error(.notFound, "not_found", "no rule groups found") }
        let namespaces = Dictionary(grouping: groups, by: \.namespace).mapValues { RuleFile(groups: $0.map(\.group)) }
        return Self.yaml(RuleFile.namespacesYAML(namespaces))
    }

    /// Adds or replaces one group of a namespace, kept in the data directory before the ruler uses it.
    func setRuleGroup(_ request: Request, _ principal: Principal, namespace: String) async -> Response {
        guard RuleNamespace.isValidName(namespace) else {
            return Self.error(.badRequest, "invalid_parameter", "a namespace is 1–128 of A–Z a–z 0–9 _ - . and does not start with a dot")
        }
        var request = request
        let text: String
        do {
            let buffer = try await request.collectBody(upTo: 1 << 20)
            text = String(decoding: buffer.readableBytesView, as: UTF8.self)
        } catch {
            return Self.error(.contentTooLarge, "body_too_large", "a rule group is at most 1 MiB of YAML")
        }
        let group: RuleFile.Group
        do {
            group = try RuleFile.parseGroup(text)
        } catch {
            return Self.error(.badRequest, "invalid_rules", error.description)
        }
        return changeRules(principal, namespace: namespace) { file in
            if let index = file.groups.firstIndex(where: { $0.name == group.name }) { file.groups[index] = group } else { file.groups.append(group) }
            return nil
        } apply: { () throws(Ruler.Refusal) in try self.ruler.set(group, tenant: principal.tenant, namespace: namespace) }
    }

    func removeRules(_ principal: Principal, namespace: String, group: String?) -> Response {
        changeRules(principal, namespace: namespace) { file in
            guard !file.groups.isEmpty else { return .unknownNamespace(namespace) }
            guard let group else {
                file.groups = []
                return nil
            }
            guard let index = file.groups.firstIndex(where: { $0.name == group }) else { return .unknownGroup(group) }
            file.groups.remove(at: index)
            return nil
        } apply: { () throws(Ruler.Refusal) in try self.ruler.remove(tenant: principal.tenant, namespace: namespace, group: group) }
    }

    /// One change of the rules API, made one at a time: the namespace as changed is written to the data directory,
    /// then handed to the ruler, so that what the ruler evaluates is always what a restart reads back.
    private func changeRules(
        _ principal: Principal, namespace: String, change: (inout RuleFile) -> Ruler.Refusal?,
        apply: () throws(Ruler.Refusal) -> RuleNamespace
    ) -> Response {
        guard !ruler.isFixed(tenant: principal.tenant, namespace: namespace) else {
            return Self.error(.conflict, "read_only", Ruler.Refusal.readOnly(namespace: namespace).description)
        }
        return ruleChanges.withLock { _ in
            var file = RuleFile(groups: ruler.groups(of: principal.tenant).filter { $0.namespace == namespace }.map(\.group))
            if let refusal = change(&file) { return Self.error(.notFound, "not_found", refusal.description) }
            do {
                try RuleDirectory.write(RuleNamespace(tenant: principal.tenant, name: namespace, file: file), under: Self.rulesDirectory(configuration))
            } catch {
                logger.error("rules could not be written", metadata: ["namespace": "\(namespace)", "error": "\(error)"])
                return Self.error(.internalServerError, "not_written", "the rules could not be written to the data directory; nothing changed")
            }
            do throws(Ruler.Refusal) {
                _ = try apply()
            } catch {
                return Self.error(.notFound, "not_found", error.description)
            }
            return Self.json(.accepted, #"{"status":"success","data":null,"errorType":"","error":""}"# + "\n")
        }
    }

    static func yaml(_ text: String) -> Response {
        Response(status: .ok, headers: [.contentType: "application/yaml"], body: .init(byteBuffer: .init(string: text)))
    }

    // MARK: Prometheus's API

    func alerts(_ principal: Principal) -> Response {
        let alerts = ruler.groups(of: principal.tenant).flatMap { group in
            group.rules.flatMap { rule -> [JSONValue] in
                guard case .alert(let alerting) = rule.rule else { return [] }
                return rule.alerts.alerts.values.filter { $0.state != .resolved }.sorted { $0.activeAt < $1.activeAt }
                    .map { Self.alertJSON($0, alerting) }
            }
        }
        return Self.json(.ok, JSONValue.object([("status", .string("success")), ("data", .object([("alerts", .array(alerts))]))]).jsonText + "\n")
    }

    func rules(_ principal: Principal) -> Response {
        let groups: [JSONValue] = ruler.groups(of: principal.tenant).map { group in
            let rules: [JSONValue] = group.rules.map { rule in
                var members: [(key: String, value: JSONValue)] = [
                    ("name", .string(rule.name)), ("query", .string(rule.rule.expr)),
                    ("health", .string(rule.lastError == nil ? (rule.lastEvaluation == nil ? "unknown" : "ok") : "err")),
                    ("lastError", .string(rule.lastError ?? "")),
                    ("lastEvaluation", .string(rule.lastEvaluation.map(AlertNotification.time) ?? "0001-01-01T00:00:00Z")),
                    ("evaluationTime", .number(Self.number(group.evaluationTime))),
                ]
                switch rule.rule {
                case .alert(let alerting):
                    let active = rule.alerts.alerts.values.filter { $0.state != .resolved }.sorted { $0.activeAt < $1.activeAt }
                    let state = active.contains { $0.state == .firing } ? "firing" : active.isEmpty ? "inactive" : "pending"
                    members += [
                        ("state", .string(state)), ("duration", .number(Self.number(Double(alerting.holdFor) / 1_000_000))),
                        ("keepFiringFor", .number(Self.number(Double(alerting.keepFiringFor) / 1_000_000))),
                        ("labels", AlertNotification.object(alerting.labels)),
                        ("annotations", AlertNotification.object(alerting.annotations)),
                        ("alerts", .array(active.map { Self.alertJSON($0, alerting) })), ("type", .string("alerting")),
                    ]
                case .record(let recording):
                    members += [("labels", AlertNotification.object(recording.labels)), ("type", .string("recording"))]
                }
                return .object(members)
            }
            return .object([
                ("name", .string(group.group.name)), ("file", .string(group.namespace)), ("rules", .array(rules)),
                ("interval", .number(Self.number(Double(group.group.interval) / 1_000_000))),
                ("lastEvaluation", .string(group.lastEvaluation.map(AlertNotification.time) ?? "0001-01-01T00:00:00Z")),
                ("evaluationTime", .number(Self.number(group.evaluationTime))),
            ])
        }
        return Self.json(.ok, JSONValue.object([("status", .string("success")), ("data", .object([("groups", .array(groups))]))]).jsonText + "\n")
    }

    private static func alertJSON(_ alert: AlertStates.Alert, _ rule: RuleFile.AlertRule) -> JSONValue {
        .object([
            ("labels", AlertNotification.object(alert.labels)),
            ("annotations", AlertNotification.object(rule.renderedAnnotations(labels: alert.labels, value: alert.value))),
            ("state", .string(alert.state.rawValue)), ("activeAt", .string(AlertNotification.time(alert.activeAt))),
            ("value", .string(AlertTemplate.plain(alert.value))),
        ])
    }
}
