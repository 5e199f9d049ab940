@testable import KeelRules
import Foundation
import Keel
@testable import KeelServer
import Testing

/// The ruler in a real `keel serve`: a tenant's rules see its own events only, alerts show as Loki's ruler shows
/// them, and every transition is an audit event in the tenant's store.
struct RulerTests {
    static let rules = """
        groups:
          - name: errors
            interval: 1m
            rules:
              - alert: ErrorSpike
                expr: sum by (service) (count_over_time({level="ERROR"}[5m])) > 3
                labels: {severity: page}
                annotations: {summary: "{{ $labels.service }} is failing"}
        """

    @Test func anErrorSpikeFiresIsListedAuditedAndResolves() async throws {
        let file = try RuleFile.parse(Self.rules)
        let server = try TestServer { $0.ruleFiles = [RuleNamespace(tenant: "tenant-a", name: "errors", file: file)] }
        defer { server.remove() }
        try await server.run { client async throws in
            let spike = (0..<5).map { keelLine("spike-\($0)", message: "upstream failed", level: "ERROR", extra: #""service":"api""#) }
            #expect(try await client.ingest(spike, token: server.ingestA).status == 200)
            #expect(try await client.ingest(spike, token: server.ingestB).status == 200)
            // The server's own pass evaluated the group when it started (nothing then); the next is due a minute on.
            let now = Timestamp.now().microsecondsSinceEpoch + 61_000_000
            await client.server.evaluateRules(now: now)

            let alerts = try await client.send("/prometheus/api/v1/alerts", token: server.readA)
            guard case .array(let listed)? = alerts.json?["data"]?["alerts"] else {
                Issue.record("no alerts list: \(alerts.text)")
                return
            }
            #expect(listed.count == 1)
            #expect(listed.first?["state"]?.stringValue == "firing")
            #expect(listed.first?["labels"]?["service"]?.stringValue == "api" && listed.first?["labels"]?["alertname"]?.stringValue == "ErrorSpike")
            #expect(listed.first?["labels"]?["severity"]?.stringValue == "page")
            let rules = try await client.send("/prometheus/api/v1/rules", token: server.readA)
            guard case .array(let groups)? = rules.json?["data"]?["groups"], case .array(let listedRules)? = groups.first?["rules"] else {
                Issue.record("no rule groups: \(rules.text)")
                return
            }
            #expect(listedRules.first?["state"]?.stringValue == "firing", "\(rules.text)")
            #expect(listedRules.first?["health"]?.stringValue == "ok", "\(rules.text)")
            // Another tenant has no rules, and sees none of tenant-a's.
            let other = try await client.send("/prometheus/api/v1/alerts", token: server.readB)
            #expect(other.json?["data"]?["alerts"] == .array([]))

            // Each transition is an audit event in the tenant's store.
            let audited = try await client.events(token: server.readA, query: "event=alert.firing")
            #expect(audited.count == 1)
            #expect(audited.first?["storage_class"]?.stringValue == "audit")
            #expect(audited.first?["context"]?["labels"]?["service"]?.stringValue == "api")
            #expect(try await client.events(token: server.readB, query: "event=alert.firing").isEmpty)

            // Ten minutes on, the errors are out of the window: resolved.
            await client.server.evaluateRules(now: now + 600_000_000)
            #expect(try await client.events(token: server.readA, query: "event=alert.resolved&since=1h").count == 1)
            let after = try await client.send("/prometheus/api/v1/alerts", token: server.readA)
            #expect(after.json?["data"]?["alerts"] == .array([]))
        }
    }

    @Test func aBrokenRuleFileStopsTheStartNamingFileGroupAndRule() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keel-rules-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.rules.write(toFile: directory + "/tenant-a.yaml", atomically: true, encoding: .utf8)
        var configuration = ServerConfiguration()
        try configuration.loadRules(from: directory)
        #expect(configuration.ruleFiles.map(\.tenant) == ["tenant-a"])
        try Self.rules.replacingOccurrences(of: "> 3", with: "> ").write(toFile: directory + "/tenant-b.yml", atomically: true, encoding: .utf8)
        #expect {
            try configuration.loadRules(from: directory)
        } throws: { error in
            "\(error)".contains("tenant-b.yml") && "\(error)".contains("group \"errors\", rule \"ErrorSpike\"")
        }
        #expect(configuration.ruleFiles.map(\.tenant) == ["tenant-a"], "a broken file replaces nothing")
    }
}
