import KeelQuery
import Yams

/// A rule file in Loki's ruler format (Prometheus rule groups, YAML):
///
/// ```yaml
/// groups:
///   - name: errors
///     interval: 1m
///     rules:
///       - alert: ErrorsPerService
///         expr: sum by (service) (rate({level="ERROR"}[5m])) > 1
///         for: 5m
///         labels: {severity: page}
///         annotations: {summary: "{{ $labels.service }} logs {{ $value }} errors a second"}
///       - record: service:errors:rate5m
///         expr: sum by (service) (rate({level="ERROR"}[5m]))
/// ```
///
/// Every rule is checked when the file is read: a file with any rule that does not parse, or whose `expr` the
/// query engine refuses, is refused whole with the group's and rule's names and what is wrong, so a working set of
/// rules is never replaced by a broken one.
struct RuleFile: Sendable, Equatable {
    struct Group: Sendable, Equatable {
        var name: String
        /// Microseconds between evaluations (default a minute).
        var interval: Int64
        var rules: [Rule]
    }

    enum Rule: Sendable, Equatable {
        case alert(AlertRule)
        case record(RecordingRule)
    }

    struct AlertRule: Sendable, Equatable {
        var name: String
        /// A LogQL metric query; the label sets it returns (past its comparison, when it has one) are alerts.
        var expr: String
        /// `expr`, parsed once when the file is read.
        var expression: MetricExpression
        /// Microseconds an alert is pending before it fires, and is kept firing once its label set goes missing.
        var holdFor: Int64
        var keepFiringFor: Int64
        var labels: [String: String]
        var annotations: [String: String]
    }

    struct RecordingRule: Sendable, Equatable {
        var name: String
        var expr: String
        var labels: [String: String]
    }

    struct Invalid: Error, Equatable, CustomStringConvertible {
        let description: String
    }

    var groups: [Group]

    static let defaultInterval: Int64 = 60_000_000

    /// The rules of `yaml`, every one checked; or why not, naming the group and the rule.
    static func parse(_ yaml: String) throws(Invalid) -> RuleFile {
        let document: Any?
        do {
            document = try Yams.load(yaml: yaml)
        } catch {
            throw Invalid(description: "not YAML: \(error)")
        }
        guard let root = document as? [String: Any], let groups = root["groups"] as? [Any] else {
            throw Invalid(description: "a rule file is a map with a list of groups: groups: [{name, interval, rules}]")
        }
        var parsed: [Group] = []
        var names: Set<String> = []
        for (index, item) in groups.enumerated() {
            guard let group = item as? [String: Any], let name = group["name"] as? String, !name.isEmpty else {
                throw Invalid(description: "group \(index + 1): needs a name")
            }
            guard names.insert(name).inserted else { throw Invalid(description: "group \"\(name)\": the name is used twice") }
            let interval = try duration(group["interval"], what: "group \"\(name)\": interval") ?? defaultInterval
            guard interval > 0 else { throw Invalid(description: "group \"\(name)\": interval must be more than 0") }
            guard let rules = group["rules"] as? [Any], !rules.isEmpty else {
                throw Invalid(description: "group \"\(name)\": needs rules")
            }
            parsed.append(Group(name: name, interval: interval, rules: try rules.enumerated().map { (position, rule) throws(Invalid) in
                try Self.rule(rule, at: position, in: name)
            }))
        }
        return RuleFile(groups: parsed)
    }

    private static func rule(_ item: Any, at position: Int, in group: String) throws(Invalid) -> Rule {
        guard let rule = item as? [String: Any] else { throw Invalid(description: "group \"\(group)\", rule \(position + 1): not a map") }
        let alert = rule["alert"] as? String
        let record = rule["record"] as? String
        guard (alert == nil) != (record == nil), let name = alert ?? record, !name.isEmpty else {
            throw Invalid(description: "group \"\(group)\", rule \(position + 1): needs one of alert or record, with a name")
        }
        let place = "group \"\(group)\", rule \"\(name)\""
        guard let expr = rule["expr"].map({ "\($0)" }), !expr.isEmpty else { throw Invalid(description: "\(place): needs an expr") }
        let expression = try metric(expr, place: place)
        let labels = try strings(rule["labels"], what: "\(place): labels")
        if let record {
            for key in ["for", "keep_firing_for", "annotations"] where rule[key] != nil {
                throw Invalid(description: "\(place): a recording rule takes no \(key)")
            }
            return .record(RecordingRule(name: record, expr: expr, labels: labels))
        }
        return .alert(
            AlertRule(
                name: name, expr: expr, expression: expression, holdFor: try duration(rule["for"], what: "\(place): for") ?? 0,
                keepFiringFor: try duration(rule["keep_firing_for"], what: "\(place): keep_firing_for") ?? 0,
                labels: labels, annotations: try strings(rule["annotations"], what: "\(place): annotations")))
    }

    /// `expr` as a LogQL metric query, or why it is not one.
    static func metric(_ expr: String, place: String) throws(Invalid) -> MetricExpression {
        let parsed: LogQLExpression
        do { parsed = try LogQLParser.parse(expr) } catch { throw Invalid(description: "\(place): expr: \(error)") }
        guard case .metric(let expression) = parsed else {
            throw Invalid(description: "\(place): expr must be a metric query (a log query returns lines, not numbers)")
        }
        return expression
    }

    /// A Prometheus duration (`30s`, `5m`, `1h30m`), in microseconds; `nil` when absent.
    private static func duration(_ value: Any?, what: String) throws(Invalid) -> Int64? {
        guard let value else { return nil }
        guard let text = value as? String, let nanoseconds = LogQLDuration.nanoseconds(text), nanoseconds >= 0 else {
            throw Invalid(description: "\(what): not a duration (30s, 5m, 1h30m): \(String(describing: value).prefix(40))")
        }
        return nanoseconds / 1000
    }

    /// A map of strings (labels, annotations); numbers and booleans are taken as their text, as Prometheus does.
    private static func strings(_ value: Any?, what: String) throws(Invalid) -> [String: String] {
        guard let value else { return [:] }
        guard let map = value as? [String: Any] else { throw Invalid(description: "\(what): must be a map of names to text") }
        var out: [String: String] = [:]
        for (key, item) in map {
            switch item {
            case let text as String: out[key] = text
            case let number as Int: out[key] = String(number)
            case let number as Double: out[key] = String(number)
            case let flag as Bool: out[key] = String(flag)
            default: throw Invalid(description: "\(what): \(key) must be text")
            }
        }
        return out
    }
}
