import KeelRules
import KeelQuery

/// What one alerting rule's expression returns for a tenant at an instant, as the alerts' label sets: each series'
/// labels, the rule's own labels over them, and `alertname` (as Prometheus labels its alerts). A comparison in the
/// expression (`… > 1`) has already left out the series that do not pass; a scalar that passes is one alert with the
/// rule's labels alone.
enum AlertEvaluation {
    /// The label sets and values `rule` returns for `tenant` at `time` (microseconds since the epoch), read through
    /// `engine`; throws what the engine refuses (a failed evaluation changes no alert). A recording rule is evaluated
    /// for its health alone: Keel keeps no metric series to record its samples in.
    static func returned(_ rule: RuleFile.Rule, engine: LogQLEngine, tenant: String, at time: Int64) throws -> [[String: String]: Double] {
        switch rule {
        case .alert(let rule):
            return try returned(rule, engine: engine, tenant: tenant, at: time)
        case .record(let record):
            let (nanoseconds, overflow) = time.multipliedReportingOverflow(by: 1000)
            guard !overflow else { throw RuleFile.Invalid(description: "record \"\(record.name)\": a time out of range") }
            _ = try engine.instant(record.expression, tenant: tenant, at: nanoseconds)
            return [:]
        }
    }

    static func returned(
        _ rule: RuleFile.AlertRule, engine: LogQLEngine, tenant: String, at time: Int64
    ) throws -> [[String: String]: Double] {
        let (nanoseconds, overflow) = time.multipliedReportingOverflow(by: 1000)
        guard !overflow else { throw RuleFile.Invalid(description: "alert \"\(rule.name)\": a time out of range") }
        var returned: [[String: String]: Double] = [:]
        switch try engine.instant(rule.expression, tenant: tenant, at: nanoseconds) {
        case .vector(let samples):
            for sample in samples where !sample.value.isNaN { returned[labels(of: rule, over: sample.labels.dictionary)] = sample.value }
        case .scalar(_, let value):
            // A scalar expression is a comparison of numbers alone: it alerts when it holds (Prometheus: non-zero).
            if !value.isNaN, value != 0 { returned[labels(of: rule, over: [:])] = value }
        case .matrix, .streams:
            throw RuleFile.Invalid(description: "alert \"\(rule.name)\": expr must give a vector at an instant")
        }
        return returned
    }

    private static func labels(of rule: RuleFile.AlertRule, over series: [String: String]) -> [String: String] {
        var labels = series
        for (name, value) in rule.labels { labels[name] = value }
        labels["alertname"] = rule.name
        return labels
    }
}
