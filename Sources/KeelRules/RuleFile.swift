package import KeelQuery
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
package struct RuleFile: Sendable, Equatable {
    package struct Group: Sendable, Equatable {
        package var name: String
        /// Microseconds between evaluations (default a minute).
        package var interval: Int64
        package var rules: [Rule]
        /// The group as it was written, in YAML: what the rules API answers and keeps.
        package var definition: String
    }

    package enum Rule: Sendable, Equatable {
        case alert(AlertRule)
        case record(RecordingRule)

        package var name: String {
            switch self {
            case .alert(let rule): rule.name
            case .record(let rule): rule.name
            }
        }

        package var expr: String {
            switch self {
            case .alert(let rule): rule.expr
            case .record(let rule): rule.expr
            }
        }

        package var expression: MetricExpression {
            switch self {
            case .alert(let rule): rule.expression
            case .record(let rule): rule.expression
            }
        }
    }

    package struct AlertRule: Sendable, Equatable {
        package var name: String
        /// A LogQL metric query; the label sets it returns (past its comparison, when it has one) are alerts.
        package var expr: String
        /// `expr`, parsed once when the file is read.
        package var expression: MetricExpression
        /// Microseconds an alert is pending before it fires, and is kept firing once its label set goes missing.
        package var holdFor: Int64
        package var keepFiringFor: Int64
        package var labels: [String: String]
        package var annotations: [String: String]
        /// `annotations`, each read as a template once when the file is read.
        package var templates: [String: AlertTemplate]

        /// The annotations with an alert's labels and value in place.
        package func renderedAnnotations(labels: [String: String], value: Double) -> [String: String] {
            templates.mapValues { $0.render(labels: labels, value: value) }
        }
    }

    package struct RecordingRule: Sendable, Equatable {
        package var name: String
        package var expr: String
        package var expression: MetricExpression
        package var labels: [String: String]
    }

    package struct Invalid: Error, Equatable, CustomStringConvertible {
        package let description: String

        package init(description: String) { self.description = description }
    }

    package var groups: [Group]

    package init(groups: [Group]) { self.groups = groups }

    package static let defaultInterval: Int64 = 60_000_000

    /// The rules of `yaml`, every one checked; or why not, naming the group and the rule.
    package static func parse(_ yaml: String) throws(Invalid) -> RuleFile {
        let document = try Self.document(yaml)
        guard let root = document as? [String: Any], let groups = root["groups"] as? [Any] else {
            throw Invalid(description: "a rule file is a map with a list of groups: groups: [{name, interval, rules}]")
        }
        var parsed: [Group] = []
        var names: Set<String> = []
        for (index, item) in groups.enumerated() {
            let group = try Self.group(item, at: index)
            guard names.insert(group.name).inserted else { throw Invalid(description: "group \"\(group.name)\": the name is used twice") }
            parsed.append(group)
        }
        return RuleFile(groups: parsed)
    }

    /// One group, as the rules API is sent it (`name`, `interval`, `rules` in YAML), checked like a file's.
    package static func parseGroup(_ yaml: String) throws(Invalid) -> Group {
        return try group(try Self.document(yaml) as Any, at: 0)
    }

    /// The YAML document of `yaml`, read as a tree of at most 100,000 nodes (aliases counted as what they stand
    /// for): a few lines of aliases cannot make the server build, or write back, a billion values. Every mapping key
    /// must be a plain value: Yams stops the process on a mapping or a list used as a key.
    private static func document(_ yaml: String) throws(Invalid) -> Any? {
        let node: Node?
        do {
            node = try Yams.compose(yaml: yaml)
        } catch {
            throw Invalid(description: "not YAML: \(error)")
        }
        guard let node else { return nil }
        var budget = 100_000
        try check(node, budget: &budget)
        return Constructor.default.any(from: node)
    }

    private static func check(_ node: Node, budget: inout Int) throws(Invalid) {
        budget -= 1
        guard budget >= 0 else {
            throw Invalid(description: "a rule file is at most 100,000 YAML values (anchors and aliases counted as expanded)")
        }
        switch node {
        case .scalar:
            return
        case .mapping(let mapping):
            for (key, value) in mapping {
                guard case .scalar = key else {
                    throw Invalid(description: "a mapping key must be a plain value, not a mapping or a list (line \(key.mark?.line ?? 0))")
                }
                try check(value, budget: &budget)
            }
        case .sequence(let sequence):
            for item in sequence { try check(item, budget: &budget) }
        case .alias:
            throw Invalid(description: "an alias Keel cannot expand")
        }
    }

    private static func group(_ item: Any, at index: Int) throws(Invalid) -> Group {
        guard let group = item as? [String: Any], let name = group["name"] as? String, !name.isEmpty else {
            throw Invalid(description: "group \(index + 1): needs a name")
        }
        let interval = try duration(group["interval"], what: "group \"\(name)\": interval") ?? defaultInterval
        guard interval > 0 else { throw Invalid(description: "group \"\(name)\": interval must be more than 0") }
        guard let rules = group["rules"] as? [Any], !rules.isEmpty else {
            throw Invalid(description: "group \"\(name)\": needs rules")
        }
        let parsed = try rules.enumerated().map { (position, rule) throws(Invalid) in try Self.rule(rule, at: position, in: name) }
        let definition: String
        do { definition = try Yams.dump(object: group, sortKeys: true) } catch {
            throw Invalid(description: "group \"\(name)\": cannot be written back as YAML: \(error)")
        }
        return Group(name: name, interval: interval, rules: parsed, definition: definition)
    }

    /// The file as YAML: its groups as they were written.
    package func yaml() -> String {
        (try? Yams.dump(object: ["groups": groupObjects], sortKeys: true)) ?? "groups: []\n"
    }

    /// Namespaces as Loki's rules API lists them: `namespace: [groups]`.
    package static func namespacesYAML(_ namespaces: [String: RuleFile]) -> String {
        (try? Yams.dump(object: namespaces.mapValues(\.groupObjects), sortKeys: true)) ?? "{}\n"
    }

    private var groupObjects: [Any] { groups.compactMap { try? Yams.load(yaml: $0.definition) } }

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
            return .record(RecordingRule(name: record, expr: expr, expression: expression, labels: labels))
        }
        for (key, value) in labels where value.contains("{{") {
            throw Invalid(description: "\(place): label \(key): Keel does not template labels (annotations only)")
        }
        let annotations = try strings(rule["annotations"], what: "\(place): annotations")
        var templates: [String: AlertTemplate] = [:]
        for (key, text) in annotations {
            do { templates[key] = try AlertTemplate(text) } catch { throw Invalid(description: "\(place): annotation \(key): \(error)") }
        }
        return .alert(
            AlertRule(
                name: name, expr: expr, expression: expression, holdFor: try duration(rule["for"], what: "\(place): for") ?? 0,
                keepFiringFor: try duration(rule["keep_firing_for"], what: "\(place): keep_firing_for") ?? 0,
                labels: labels, annotations: annotations, templates: templates))
    }

    /// `expr` as a LogQL metric query, or why it is not one.
    package static func metric(_ expr: String, place: String) throws(Invalid) -> MetricExpression {
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
