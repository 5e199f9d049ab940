@testable import KeelRules
import Foundation
import Keel
import KeelBlockStore
import KeelQuery
@testable import KeelServer
import Testing

/// Rule files in Loki's ruler format: read whole, or refused whole naming the group and rule and what is wrong.
struct RuleFileTests {
    @Test func aRuleFileReadsIntoGroupsOfRules() throws {
        let file = try RuleFile.parse(
            """
            groups:
              - name: errors
                interval: 30s
                rules:
                  - alert: ErrorsPerService
                    expr: sum by (service) (rate({level="ERROR"}[5m])) > 1
                    for: 5m
                    keep_firing_for: 1h30m
                    labels: {severity: page, team: 7}
                    annotations:
                      summary: "{{ $labels.service }} logs {{ $value }} errors a second"
                  - record: service:errors:rate5m
                    expr: sum by (service) (rate({level="ERROR"}[5m]))
              - name: silence
                rules:
                  - alert: NoHeartbeat
                    expr: absent_over_time({event="heartbeat"}[10m])
            """)
        #expect(file.groups.map(\.name) == ["errors", "silence"])
        #expect(file.groups.map(\.interval) == [30_000_000, 60_000_000], "a minute unless the group says")
        #expect(file.groups[0].rules.count == 2)
        guard case .alert(let alert) = file.groups[0].rules[0], case .record(let record) = file.groups[0].rules[1],
            case .alert(let quiet) = file.groups[1].rules[0]
        else {
            Issue.record("the rules are not what the file says: \(file)")
            return
        }
        #expect(alert.name == "ErrorsPerService" && alert.expr == #"sum by (service) (rate({level="ERROR"}[5m])) > 1"#)
        #expect(alert.holdFor == 300_000_000 && alert.keepFiringFor == 5_400_000_000)
        #expect(alert.labels == ["severity": "page", "team": "7"])
        #expect(alert.annotations["summary"] == "{{ $labels.service }} logs {{ $value }} errors a second")
        #expect(record.name == "service:errors:rate5m" && record.labels.isEmpty)
        #expect(quiet.holdFor == 0 && quiet.keepFiringFor == 0 && quiet.annotations.isEmpty)
    }

    @Test(arguments: [
        ("groups: [", "not YAML"),
        ("rules: []", "a list of groups"),
        ("groups: [{rules: [{alert: A, expr: 'sum(rate({a=\"b\"}[1m]))'}]}]", "group 1: needs a name"),
        ("groups: [{name: g, rules: [{alert: A, expr: 'sum(rate({a=\"b\"}[1m]))'}]}, {name: g, rules: [{alert: B, expr: 'sum(rate({a=\"b\"}[1m]))'}]}]", "group \"g\": the name is used twice"),
        ("groups: [{name: g}]", "group \"g\": needs rules"),
        ("groups: [{name: g, interval: 0s, rules: [{alert: A, expr: 'sum(rate({a=\"b\"}[1m]))'}]}]", "interval must be more than 0"),
        ("groups: [{name: g, interval: soon, rules: [{alert: A, expr: 'sum(rate({a=\"b\"}[1m]))'}]}]", "group \"g\": interval: not a duration"),
        ("groups: [{name: g, rules: [{expr: 'sum(rate({a=\"b\"}[1m]))'}]}]", "rule 1: needs one of alert or record"),
        ("groups: [{name: g, rules: [{alert: A, record: r, expr: 'sum(rate({a=\"b\"}[1m]))'}]}]", "rule 1: needs one of alert or record"),
        ("groups: [{name: g, rules: [{alert: A}]}]", "group \"g\", rule \"A\": needs an expr"),
        ("groups: [{name: g, rules: [{alert: A, expr: 'sum(rate({a=\"b\"[1m]))'}]}]", "group \"g\", rule \"A\": expr: "),
        ("groups: [{name: g, rules: [{alert: A, expr: '{a=\"b\"} |= \"x\"'}]}]", "expr must be a metric query"),
        ("groups: [{name: g, rules: [{alert: A, expr: 'sum(rate({a=\"b\"}[1m]))', for: 5 minutes}]}]", "rule \"A\": for: not a duration"),
        ("groups: [{name: g, rules: [{record: r, expr: 'sum(rate({a=\"b\"}[1m]))', for: 5m}]}]", "a recording rule takes no for"),
        ("groups: [{name: g, rules: [{alert: A, expr: 'sum(rate({a=\"b\"}[1m]))', labels: [a, b]}]}]", "rule \"A\": labels: must be a map"),
        ("groups: [{name: g, rules: [{alert: A, expr: 'sum(rate({a=\"b\"}[1m]))', annotations: {a: [1]}}]}]", "annotations: a must be text"),
        ("groups: [{name: g, rules: [{alert: A, expr: 'sum(rate({a=\"b\"}[1m]))', labels: {a: '{{ $value }}'}}]}]", "does not template labels"),
        // Anchors and aliases: a few lines that would make a hundred million values.
        ("a: &a [x, x, x, x, x, x, x, x, x, x]\n" + ["b", "c", "d", "e", "f", "g", "h"].enumerated().map { index, name in
            let previous = ["a", "b", "c", "d", "e", "f", "g"][index]
            return "\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 10).joined(separator: ", ") + "]\n"
        }.joined() + "groups: [{name: g, rules: [{alert: A, expr: 'sum(rate({a=\"b\"}[1m]))', labels: {x: *h}}]}]", "at most 100,000 YAML values"),
        // A mapping as a key (found by the fuzzer: Yams stops the process on one).
        ("groups: &g\n  - name: a\n    rules: [{alert: A, expr: 'vector(1)',&l {x: y}, annotations: *l}]\n", "a mapping key must be a plain value"),
        ("groups: [{name: g, rules: [{[alert]: A}]}]", "a mapping key must be a plain value"),
    ])
    func aBrokenFileIsRefusedSayingWhereAndWhy(yaml: String, expected: String) {
        do {
            let file = try RuleFile.parse(yaml)
            Issue.record("read a broken file: \(file)")
        } catch {
            #expect(error.description.contains(expected), "\(error.description)")
        }
    }
}

/// `--rules DIR`: both layouts, and names that cannot be a tenant or a namespace refused naming the file.
struct RuleDirectoryTests {
    @Test func bothLayoutsReadAndBadNamesAreRefused() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keel-rule-dir-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory + "/tenant-b", withIntermediateDirectories: true)
        let group = "groups: [{name: g, rules: [{alert: A, expr: 'sum(rate({a=\"b\"}[1m]))'}]}]"
        try group.write(toFile: directory + "/tenant-a.yaml", atomically: true, encoding: .utf8)
        try group.write(toFile: directory + "/tenant-b/team.one.yml", atomically: true, encoding: .utf8)
        try "not rules".write(toFile: directory + "/README.md", atomically: true, encoding: .utf8)
        let read = try RuleDirectory.load(directory)
        #expect(read.map { "\($0.tenant)/\($0.name)" } == ["tenant-a/tenant-a", "tenant-b/team.one"])
        try group.write(toFile: directory + "/bad tenant.yaml", atomically: true, encoding: .utf8)
        #expect { try RuleDirectory.load(directory) } throws: { "\($0)".contains("bad tenant.yaml") && "\($0)".contains("a tenant is") }
        #expect { try RuleDirectory.load(directory + "/missing") } throws: { "\($0)".contains("not a directory") }
    }
}

/// The example rules read, and the query engine takes every expression (on a store with nothing in it: no error).
struct ExampleRulesTests {
    @Test func theExampleRulesReadAndEvaluate() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let files = try RuleDirectory.load(root.appendingPathComponent("examples/rules").path)
        #expect(files.map(\.tenant) == ["default"] && files.map(\.name) == ["default"])
        let alerts = files[0].file.groups.flatMap(\.rules).compactMap { rule -> RuleFile.AlertRule? in
            if case .alert(let alert) = rule { alert } else { nil }
        }
        #expect(alerts.map(\.name) == ["ErrorShare", "UpstreamTimeouts", "WorkerCrashLoop", "BillingSilent", "HourlyCostBudget"])
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keel-example-rules-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let engine = LogQLEngine(store: try BlockLogStore(directory: directory))
        let now = Timestamp.now().microsecondsSinceEpoch
        for alert in alerts {
            let returned = try AlertEvaluation.returned(alert, engine: engine, tenant: "default", at: now)
            // With no events, only the heartbeat's absence alerts.
            #expect(returned.isEmpty == (alert.name != "BillingSilent"), "\(alert.name): \(returned)")
        }
    }
}
