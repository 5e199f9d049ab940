@testable import KeelRules
import Foundation
import Keel
import KeelBlockStore
import KeelQuery
@testable import KeelServer
import KeelStore
import Testing

/// A rule's expression evaluated on a real store: the series past its comparison become alerts' label sets, with the
/// rule's labels and `alertname`; then through the state machine, an error spike fires and resolves.
struct AlertEvaluationTests {
    static let minute: Int64 = 60_000_000
    static let start: Int64 = 1_795_392_000_000_000  // 2026-11-23T00:00:00Z

    static func line(_ n: Int, at time: Int64, service: String, level: String) -> String {
        #"{"timestamp":"\#(Timestamp(microsecondsSinceEpoch: time))","level":"\#(level)","message":"m","event_id":"e-\#(n)","service":"\#(service)"}"#
    }

    @Test func aSpikeOfErrorsFiresForItsServiceAloneAndResolvesWhenItStops() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keel-alerts-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try BlockLogStore(directory: directory)
        // Minutes 0–9: api logs 30 errors a minute (a spike) in minutes 3–5; web logs 2 a minute throughout.
        var lines: [String] = []
        for minute in 0..<10 {
            let at = Self.start + Int64(minute) * Self.minute
            for n in 0..<2 { lines.append(Self.line(lines.count, at: at + Int64(n), service: "web", level: "ERROR")) }
            if (3...5).contains(minute) {
                for n in 0..<30 { lines.append(Self.line(lines.count, at: at + Int64(n), service: "api", level: "ERROR")) }
            }
            lines.append(Self.line(lines.count, at: at + 999, service: "api", level: "INFO"))
        }
        _ = try store.append(try lines.map { try StoredEvent(line: $0, tenant: "t1") })
        let file = try RuleFile.parse(
            """
            groups:
              - name: errors
                rules:
                  - alert: ErrorSpike
                    expr: sum by (service) (count_over_time({level="ERROR"}[1m])) > 10
                    for: 1m
                    labels: {severity: page}
            """)
        guard case .alert(let rule) = file.groups[0].rules[0] else { throw RuleFile.Invalid(description: "no alert rule") }
        let engine = LogQLEngine(store: store)

        let during = try AlertEvaluation.returned(rule, engine: engine, tenant: "t1", at: Self.start + 4 * Self.minute + 30_000_000)
        #expect(during == [["service": "api", "severity": "page", "alertname": "ErrorSpike"]: 30], "only api passes > 10")
        #expect(try AlertEvaluation.returned(rule, engine: engine, tenant: "t1", at: Self.start + 30_000_000).isEmpty)
        #expect(try AlertEvaluation.returned(rule, engine: engine, tenant: "other", at: Self.start + 4 * Self.minute + 30_000_000).isEmpty,
                "another tenant's rules never see this tenant's events")

        // Evaluated every minute (half past), through the state machine.
        var states = AlertStates(holdFor: rule.holdFor, keepFiringFor: rule.keepFiringFor)
        var seen: [String] = []
        for minute in 0..<9 {
            let at = Self.start + Int64(minute) * Self.minute + 30_000_000
            for transition in states.evaluate(try AlertEvaluation.returned(rule, engine: engine, tenant: "t1", at: at), at: at) {
                seen.append("\(minute): \(transition.alert.labels["service"]!) \(transition.to?.rawValue ?? "dropped")")
            }
        }
        #expect(seen == ["3: api pending", "4: api firing", "6: api resolved"])

        // A rule whose expression is a comparison of numbers alone: one alert, with the rule's labels.
        let scalar = RuleFile.AlertRule(
            name: "Always", expr: "vector(1) > 0", expression: try RuleFile.metric("vector(1) > 0", place: "Always"), holdFor: 0,
            keepFiringFor: 0, labels: ["a": "b"], annotations: [:], templates: [:])
        let always = try AlertEvaluation.returned(scalar, engine: engine, tenant: "t1", at: Self.start)
        #expect(always.keys.first?["alertname"] == "Always" && always.keys.first?["a"] == "b" && always.count == 1)
    }
}
