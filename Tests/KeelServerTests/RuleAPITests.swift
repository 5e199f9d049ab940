@testable import KeelRules
import Foundation
import Keel
@testable import KeelServer
import Testing

/// Loki's rules API on a real `keel serve`: an admin adds, replaces and removes groups, read tokens list them, a
/// broken group is refused naming its rule and changes nothing, what was sent survives a restart, namespaces of
/// `--rules` are read-only, and tenants see their own rules only.
struct RuleAPITests {
    static let group = """
        name: errors
        interval: 1m
        rules:
          - alert: ErrorSpike
            expr: sum by (service) (count_over_time({level="ERROR"}[5m])) > 3
            for: 0s
            annotations: {summary: "{{ $labels.service }} is failing"}
          - record: service:errors:count5m
            expr: sum by (service) (count_over_time({level="ERROR"}[5m]))
        """

    @Test func anAdminAddsListsReplacesAndRemovesGroups() async throws {
        let server = try TestServer()
        defer { server.remove() }
        try await server.run { client async throws in
            let path = "/loki/api/v1/rules/team-api"
            #expect(try await client.send("/loki/api/v1/rules", token: server.readA).status == 404, "nothing yet, as Loki answers")
            let refused = try await client.send(path, method: .POST, token: server.readA, body: Array(Self.group.utf8), contentType: "application/yaml")
            #expect(refused.status == 403, "a read token cannot write rules")
            let added = try await client.send(path, method: .POST, token: server.adminA, body: Array(Self.group.utf8), contentType: "application/yaml")
            #expect(added.status == 202, "\(added.text)")

            let all = try await client.send("/loki/api/v1/rules", token: server.readA)
            #expect(all.status == 200 && all.header("Content-Type") == "application/yaml")
            #expect(all.text.hasPrefix("team-api:") && all.text.contains("name: errors") && all.text.contains("alert: ErrorSpike"), "\(all.text)")
            let one = try await client.send(path + "/errors", token: server.readA)
            #expect(one.text.hasPrefix("interval: 1m") && one.text.contains("record: service:errors:count5m"), "\(one.text)")
            let alias = try await client.send("/prometheus/config/v1/rules/team-api", token: server.readA)
            #expect(alias.text == (try await client.send(path, token: server.readA)).text)
            #expect(try await client.send("/loki/api/v1/rules", token: server.readB).status == 404, "tenant-b has none")

            // Evaluated like a file's rules, and listed as Prometheus lists them (the recording rule too).
            let spike = (0..<5).map { keelLine("e\($0)", level: "ERROR", extra: #""service":"api""#) }
            #expect(try await client.ingest(spike, token: server.ingestA).status == 200)
            // The server's own pass may have evaluated the new group already; the next is due a minute on.
            let now = Timestamp.now().microsecondsSinceEpoch + 61_000_000
            await client.server.evaluateRules(now: now)
            let listed = try await client.send("/prometheus/api/v1/rules", token: server.readA)
            guard case .array(let groups)? = listed.json?["data"]?["groups"], case .array(let rules)? = groups.first?["rules"] else {
                Issue.record("\(listed.text)")
                return
            }
            #expect(groups.first?["file"]?.stringValue == "team-api")
            #expect(rules.map { $0["type"]?.stringValue ?? "" } == ["alerting", "recording"])
            #expect(rules.map { $0["health"]?.stringValue ?? "" } == ["ok", "ok"], "\(listed.text)")
            #expect(rules.first?["state"]?.stringValue == "firing")

            // Replaced with the alerting rule unchanged and another added: the firing alert stays firing.
            let replacement = Self.group + """

                  - alert: Quiet
                    expr: sum(count_over_time({level="ERROR"}[5m])) > 1000
                """
            #expect(try await client.send(path, method: .POST, token: server.adminA, body: Array(replacement.utf8)).status == 202)
            await client.server.evaluateRules(now: now + 61_000_000)
            #expect(try await client.events(token: server.readA, query: "event=alert.firing&since=1h").count == 1, "no second firing")
            let alerts = try await client.send("/prometheus/api/v1/alerts", token: server.readA)
            #expect(alerts.json?["data"]?["alerts"]?.arrayCount == 1)

            // Removed: a group, then the namespace.
            #expect(try await client.send(path + "/nope", method: .DELETE, token: server.adminA).status == 404)
            #expect(try await client.send(path + "/errors", method: .DELETE, token: server.adminA).status == 202)
            #expect(try await client.send(path + "/errors", token: server.readA).status == 404)
            #expect(try await client.send("/loki/api/v1/rules", token: server.readA).status == 404)
            #expect(try await client.send(path, method: .DELETE, token: server.adminA).status == 404, "nothing left to delete")
            #expect(try await client.send("/prometheus/api/v1/alerts", token: server.readA).json?["data"]?["alerts"] == .array([]))
        }
    }

    @Test func aBrokenGroupIsRefusedNamingItsRuleAndChangesNothing() async throws {
        let server = try TestServer()
        defer { server.remove() }
        try await server.run { client async throws in
            let path = "/loki/api/v1/rules/team-api"
            #expect(try await client.send(path, method: .POST, token: server.adminA, body: Array(Self.group.utf8)).status == 202)
            let broken = [
                (Self.group.replacingOccurrences(of: "> 3", with: "> "), "rule \"ErrorSpike\""),
                (Self.group.replacingOccurrences(of: "{{ $labels.service }}", with: "{{ range }}"), "annotation summary"),
                (Self.group.replacingOccurrences(of: "interval: 1m", with: "interval: soon"), "interval"),
                ("name: errors\nrules: [", "not YAML"),
                ("rules: []", "needs a name"),
            ]
            for (body, reason) in broken {
                let reply = try await client.send(path, method: .POST, token: server.adminA, body: Array(body.utf8))
                #expect(reply.status == 400 && reply.json?["reason"]?.stringValue == "invalid_rules", "\(reply.text)")
                #expect(reply.json?["error"]?.stringValue?.contains(reason) == true, "\(reason): \(reply.text)")
            }
            let kept = try await client.send(path + "/errors", token: server.readA)
            #expect(kept.text.contains("> 3"), "the working group is unchanged: \(kept.text)")
            let badName = try await client.send("/loki/api/v1/rules/.hidden", method: .POST, token: server.adminA, body: Array(Self.group.utf8))
            #expect(badName.status == 400)
        }
    }

    @Test func rulesSentToTheAPISurviveARestartAndFileNamespacesAreReadOnly() async throws {
        let file = try RuleFile.parse("groups:\n  - " + Self.group.replacingOccurrences(of: "\n", with: "\n    "))
        let server = try TestServer { $0.ruleFiles = [RuleNamespace(tenant: "tenant-a", name: "from-file", file: file)] }
        defer { server.remove() }
        try await server.run { client async throws in
            let fixed = try await client.send("/loki/api/v1/rules/from-file", method: .POST, token: server.adminA, body: Array(Self.group.utf8))
            #expect(fixed.status == 409 && fixed.text.contains("--rules"), "\(fixed.text)")
            #expect(try await client.send("/loki/api/v1/rules/from-file/errors", method: .DELETE, token: server.adminA).status == 409)
            #expect(try await client.send("/loki/api/v1/rules/team-api", method: .POST, token: server.adminA, body: Array(Self.group.utf8)).status == 202)
            #expect(try await client.send("/loki/api/v1/rules/team-b", method: .POST, token: server.adminB, body: Array(Self.group.utf8)).status == 202)
        }
        try await server.run { client async throws in
            let all = try await client.send("/loki/api/v1/rules", token: server.readA)
            #expect(all.text.contains("from-file:") && all.text.contains("team-api:") && !all.text.contains("team-b"), "\(all.text)")
            #expect(try await client.send("/loki/api/v1/rules/team-b/errors", token: server.readB).status == 200)
        }
        #expect(FileManager.default.fileExists(atPath: server.directory + "/rules/tenant-a/team-api.yaml"))
    }
}

extension JSONValue {
    /// The number of elements of an array (nil for anything else).
    fileprivate var arrayCount: Int? {
        guard case .array(let items) = self else { return nil }
        return items.count
    }
}
