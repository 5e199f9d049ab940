import KeelRules
import Foundation
import Keel
import KeelQuery

/// The bodies of alert notifications, made when they are queued:
///
/// - an Alertmanager's (`POST /api/v2/alerts`): the array of alerts Prometheus sends, each with its labels, rendered
///   annotations, `startsAt`, `endsAt` (a firing alert's is a few resend delays ahead, so that the Alertmanager
///   resolves it on its own if Keel goes away; a resolved alert's is when it resolved) and `generatorURL`;
/// - a webhook's: Alertmanager's webhook payload (version 4) for one alert, plus the `tenant` and a one-line `text`;
/// - Slack's: `{"text": …}`, with a link to the events behind the alert.
///
/// Every alert carries its tenant as the label `tenant` (unless its rule set one), so one receiver can tell a
/// server's tenants apart. Its link opens the web UI on the lines of the rule's query that made it (the series'
/// labels as filters), around the time it was active.
struct AlertNotification {
    let tenant: String
    let group: String
    let rule: RuleFile.AlertRule
    let alert: AlertStates.Alert
    /// The web UI's address, as people reach it.
    let externalURL: String

    var status: String { alert.state == .resolved ? "resolved" : "firing" }

    var labels: [String: String] {
        var labels = alert.labels
        if labels["tenant"] == nil { labels["tenant"] = tenant }
        return labels
    }

    var annotations: [String: String] { rule.renderedAnnotations(labels: alert.labels, value: alert.value) }

    /// The Alertmanager API's alert; `validFor` (µs) is how long a firing alert stands without being sent again.
    func alertmanagerAlert(validFor: Int64, now: Int64) -> JSONValue {
        let (later, overflow) = now.addingReportingOverflow(validFor)
        let ends = alert.resolvedAt ?? (overflow ? now : later)
        return .object([
            ("labels", Self.object(labels)), ("annotations", Self.object(annotations)),
            ("startsAt", .string(Self.time(alert.activeAt))), ("endsAt", .string(Self.time(ends))),
            ("generatorURL", .string(link(now: now))),
        ])
    }

    /// One alert as a generic webhook is sent it.
    func webhookBody(now: Int64) -> String {
        let link = link(now: now)
        let item = JSONValue.object([
            ("status", .string(status)), ("labels", Self.object(labels)), ("annotations", Self.object(annotations)),
            ("startsAt", .string(Self.time(alert.activeAt))),
            ("endsAt", .string(alert.resolvedAt.map(Self.time) ?? "0001-01-01T00:00:00Z")),
            ("generatorURL", .string(link)), ("fingerprint", .string(fingerprint)),
            ("value", .number(KeelServer.number(alert.value))),
        ])
        return JSONValue.object([
            ("version", .string("4")), ("groupKey", .string("\(tenant)/\(group)/\(rule.name)")), ("status", .string(status)),
            ("receiver", .string("keel")), ("groupLabels", Self.object(["alertname": rule.name])),
            ("commonLabels", Self.object(labels)), ("commonAnnotations", Self.object(annotations)),
            ("externalURL", .string(externalURL)), ("truncatedAlerts", .number("0")), ("tenant", .string(tenant)),
            ("text", .string(text(link: link))), ("alerts", .array([item])),
        ]).jsonText
    }

    /// A Slack incoming webhook's body.
    func slackBody(now: Int64) -> String {
        JSONValue.object([("text", .string(text(link: "<\(link(now: now))|the events>")))]).jsonText
    }

    /// `[FIRING] ErrorsPerService service=api — api logs 3 errors a second · <link>`
    func text(link: String) -> String {
        let series = alert.labels.filter { $0.key != "alertname" }.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        let annotations = annotations
        var text = "[\(status.uppercased())] \(rule.name)"
        if !series.isEmpty { text += " " + series.joined(separator: " ") }
        if let summary = annotations["summary"] ?? annotations["description"], !summary.isEmpty { text += " — " + summary }
        return text + " · " + link
    }

    /// The web UI on the events behind the alert: the rule's first log query, with the alert's series labels as
    /// filters, from a quarter of an hour before it was active to a few minutes after it resolved (or now).
    func link(now: Int64) -> String {
        var query = URLComponents(string: externalURL) ?? URLComponents()
        if query.path.isEmpty { query.path = "/" }
        let from = alert.activeAt / 1000 - 15 * 60_000
        let to = (alert.resolvedAt ?? now) / 1000 + 5 * 60_000
        var items = [URLQueryItem(name: "q", value: logQuery)]
        if from < to { items += [URLQueryItem(name: "from", value: String(from)), URLQueryItem(name: "to", value: String(to))] }
        query.queryItems = items
        return query.string ?? externalURL
    }

    /// The log query behind the alert: the selector of the rule's first range aggregation (less `unwrap`, which a
    /// log query cannot have), filtered by the series' labels.
    var logQuery: String {
        guard var selector = Self.firstSelector(rule.expression) else { return "{service=~\".+\"}" }
        selector.stages.removeAll { if case .unwrap = $0 { true } else { false } }
        for (name, value) in alert.labels.sorted(by: { $0.key < $1.key }) where name != "alertname" && rule.labels[name] == nil {
            selector.stages.append(.labelFilter(.comparison(name, .equal, .string(value))))
        }
        return selector.description
    }

    private static func firstSelector(_ expression: MetricExpression) -> LogSelector? {
        switch expression {
        case .range(let range): range.selector
        case .vector(let vector): firstSelector(vector.inner)
        case .binary(let binary): firstSelector(binary.lhs) ?? firstSelector(binary.rhs)
        case .literal, .vectorLiteral: nil
        }
    }

    /// The alert's identity among a receiver's alerts, as Alertmanager prints it (16 hex digits of its labels' hash).
    var fingerprint: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for (name, value) in labels.sorted(by: { $0.key < $1.key }) {
            for byte in name.utf8 + [0xff] + value.utf8 + [0xff] {
                hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
            }
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    static func time(_ microseconds: Int64) -> String { Timestamp(microsecondsSinceEpoch: microseconds).description }

    static func object(_ map: [String: String]) -> JSONValue {
        .object(map.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })
    }
}
