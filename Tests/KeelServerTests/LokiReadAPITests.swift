import Foundation
import Keel
@testable import KeelServer
import Testing

/// Loki's read API on `keel serve`, as Grafana's Loki data source and `logcli` call it: the response shapes of
/// every endpoint, Loki's errors, and tenant isolation on each.
@Suite struct LokiReadAPITests {
    /// Ten events of tenant A over the last ten minutes (api and worker, two of them errors), and one canary of B.
    static func seed(_ client: TestServer.Client, _ fixture: TestServer) async throws -> (start: Int64, end: Int64) {
        let now = Date()
        var lines: [String] = []
        for n in 0..<10 {
            let service = n % 2 == 0 ? "api" : "worker"
            let level = n == 3 || n == 6 ? "ERROR" : "INFO"
            let at = now.addingTimeInterval(Double(n - 10) * 60)
            lines.append(keelLine(
                "a-\(n)", message: n == 6 ? "db timeout" : "request handled", at: at, level: level,
                extra: #""service":"\#(service)","route":"/v1/chat","status":\#(level == "ERROR" ? 500 : 200),"duration_ms":\#(10 * (n + 1)),"request_id":"req-\#(n)""#))
        }
        #expect(try await client.ingest(lines, token: fixture.ingestA).status == 200)
        let canary = keelLine("b-canary", message: "bravo canary", at: now.addingTimeInterval(-120), level: "ERROR", extra: #""service":"api""#)
        #expect(try await client.ingest([canary], token: fixture.ingestB).status == 200)
        let end = Int64(now.timeIntervalSince1970 * 1e9)
        return (end - 11 * 60 * 1_000_000_000, end)
    }

    static func encode(_ query: String) -> String {
        query.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
    }

    @Test func queryRangeAnswersStreamsAndMatricesInLokisShape() async throws {
        let fixture = try TestServer()
        defer { fixture.remove() }
        try await fixture.run { client in
            let (start, end) = try await Self.seed(client, fixture)
            // A log query: streams by labels, values as [nanoseconds, line], newest first.
            let logs = try await client.send(
                "/loki/api/v1/query_range?query=\(Self.encode(#"{service="api"} |= "handled""#))&start=\(start)&end=\(end)&limit=3", token: fixture.readA)
            #expect(logs.status == 200, "\(logs.text)")
            #expect(logs.json?["status"]?.stringValue == "success")
            #expect(logs.json?["data"]?["resultType"]?.stringValue == "streams")
            guard case .array(let streams)? = logs.json?["data"]?["result"] else {
                Issue.record("no result: \(logs.text)")
                return
            }
            #expect(streams.count == 1, "\(logs.text)")
            #expect(streams.first?["stream"]?["service"]?.stringValue == "api")
            #expect(streams.first?["stream"]?["level"]?.stringValue == "INFO")
            guard case .array(let values)? = streams.first?["values"] else { return }
            let ids = values.compactMap { value -> String? in
                guard case .array(let pair) = value, let line = pair.last?.stringValue else { return nil }
                return (try? JSONParser.parse(line))?["event_id"]?.stringValue
            }
            #expect(ids == ["a-8", "a-4", "a-2"])
            if case .array(let pair)? = values.first, let time = pair.first?.stringValue {
                #expect(Int64(time) != nil && time.count == 19, "nanoseconds as text: \(time)")
            }

            // A metric query: a matrix of [seconds, "value"] per step, by level.
            let metric = try await client.send(
                "/loki/api/v1/query_range?query=\(Self.encode(#"sum by (level) (count_over_time({service=~".+"}[1h]))"#))&start=\(end / 1_000_000_000 - 60)&end=\(end / 1_000_000_000)&step=60",
                token: fixture.readA)
            #expect(metric.status == 200, "\(metric.text)")
            #expect(metric.json?["data"]?["resultType"]?.stringValue == "matrix")
            guard case .array(let series)? = metric.json?["data"]?["result"] else { return }
            var last: [String: String] = [:]
            for one in series {
                guard let level = one["metric"]?["level"]?.stringValue, case .array(let points)? = one["values"], case .array(let point)? = points.last else { continue }
                #expect(points.count == 2)
                if case .number = point.first {} else { Issue.record("the time is not a number: \(point)") }
                last[level] = point.last?.stringValue
            }
            #expect(last == ["ERROR": "2", "INFO": "8"])

            // POST with a form body, as logcli and Grafana may send.
            let form = "query=\(Self.encode(#"{service="worker"} | status >= 500"#))&start=\(start)&end=\(end)&direction=forward"
            let posted = try await client.send(
                "/loki/api/v1/query_range", method: .POST, token: fixture.readA, body: Array(form.utf8),
                contentType: "application/x-www-form-urlencoded")
            #expect(posted.status == 200, "\(posted.text)")
            #expect(posted.text.contains("a-3") && !posted.text.contains("a-6"), "\(posted.text)")
        }
    }

    @Test func instantQueriesTheHealthCheckAndErrors() async throws {
        let fixture = try TestServer()
        defer { fixture.remove() }
        try await fixture.run { client in
            let (_, end) = try await Self.seed(client, fixture)
            // Grafana's "Save & test".
            let health = try await client.send("/loki/api/v1/query?query=\(Self.encode("vector(1)+vector(1)"))&time=\(end)", token: fixture.readA)
            #expect(health.status == 200)
            #expect(health.json?["data"]?["resultType"]?.stringValue == "vector")
            guard case .array(let result)? = health.json?["data"]?["result"], case .array(let value)? = result.first?["value"] else {
                Issue.record("\(health.text)")
                return
            }
            #expect(value.last?.stringValue == "2")
            #expect(result.first?["metric"] == .object([]))
            // An error ratio at an instant.
            let ratio = try await client.send(
                "/loki/api/v1/query?query=\(Self.encode(#"sum by (service) (count_over_time({level="ERROR"}[1h])) / sum by (service) (count_over_time({service=~".+"}[1h]))"#))&time=\(end)",
                token: fixture.readA)
            #expect(ratio.status == 200, "\(ratio.text)")
            #expect(ratio.text.contains(#""service":"api""#) && ratio.text.contains(#""0.2""#), "\(ratio.text)")
            // Errors are Loki's: 400, plain text, with the position.
            let bad = try await client.send("/loki/api/v1/query_range?query=\(Self.encode(#"sum(count_over_time({service="api"}[5m])"#))", token: fixture.readA)
            #expect(bad.status == 400)
            #expect(bad.text.hasPrefix("parse error at line 1, col 41: syntax error: unexpected end of input, expecting )"), "\(bad.text)")
            let instantLogs = try await client.send("/loki/api/v1/query?query=\(Self.encode(#"{service="api"}"#))", token: fixture.readA)
            #expect(instantLogs.status == 400)
            #expect(instantLogs.text.contains("log queries are not supported as an instant query type"))
            #expect(try await client.send("/loki/api/v1/query_range?query=\(Self.encode(#"{service="api"}"#))&start=yesterday", token: fixture.readA).status == 400)
            #expect(try await client.send("/loki/api/v1/query_range?query=\(Self.encode(#"{service="api"}"#))&limit=6000", token: fixture.readA).status == 400)
        }
    }

    @Test func labelsSeriesStatsVolumeAndBuildInfo() async throws {
        let fixture = try TestServer()
        defer { fixture.remove() }
        try await fixture.run { client in
            let (start, end) = try await Self.seed(client, fixture)
            let range = "start=\(start)&end=\(end)"
            let labels = try await client.send("/loki/api/v1/labels?\(range)", token: fixture.readA)
            // `event` is every canonical event's (`log` for a plain line).
            #expect(labels.json?["data"] == .array(["event", "level", "route", "service", "status"].map(JSONValue.string)), "\(labels.text)")
            // Narrowed by a selector, as Grafana's label browser asks once a label is picked.
            let narrowed = try await client.send("/loki/api/v1/labels?\(range)&query=\(Self.encode(#"{service="api"}"#))", token: fixture.readA)
            #expect(narrowed.json?["data"] == .array(["event", "level", "route", "service", "status"].map(JSONValue.string)), "\(narrowed.text)")
            let none = try await client.send("/loki/api/v1/labels?\(range)&query=\(Self.encode(#"{service="absent"}"#))", token: fixture.readA)
            #expect(none.json?["data"] == .array([]), "\(none.text)")
            let values = try await client.send("/loki/api/v1/label/service/values?\(range)", token: fixture.readA)
            #expect(values.json?["data"] == .array([.string("api"), .string("worker")]))
            let errorServices = try await client.send(
                "/loki/api/v1/label/service/values?\(range)&query=\(Self.encode(#"{level="ERROR"}"#))", token: fixture.readA)
            #expect(errorServices.json?["data"] == .array([.string("api"), .string("worker")]))
            let series = try await client.send("/loki/api/v1/series?\(range)&match%5B%5D=\(Self.encode(#"{service="api"}"#))", token: fixture.readA)
            #expect(series.json?["status"]?.stringValue == "success")
            #expect(series.text.contains(#"{"event":"log","level":"INFO","route":"/v1/chat","service":"api","status":"200"}"#), "\(series.text)")
            let stats = try await client.send("/loki/api/v1/index/stats?\(range)&query=\(Self.encode(#"{service="worker"}"#))", token: fixture.readA)
            #expect(stats.json?["entries"] == .number("5"))
            #expect(stats.json?["streams"] == .number("2"))
            let volume = try await client.send("/loki/api/v1/index/volume?\(range)&query=\(Self.encode(#"{service=~".+"}"#))", token: fixture.readA)
            #expect(volume.json?["data"]?["resultType"]?.stringValue == "vector", "\(volume.text)")
            #expect(volume.text.contains(#""service":"api""#) && volume.text.contains(#""service":"worker""#))
            let volumeRange = try await client.send(
                "/loki/api/v1/index/volume_range?\(range)&step=300&query=\(Self.encode(#"{service=~".+"}"#))", token: fixture.readA)
            #expect(volumeRange.json?["data"]?["resultType"]?.stringValue == "matrix")
            let build = try await client.send("/loki/api/v1/status/buildinfo", token: fixture.readA)
            #expect(build.json?["version"]?.stringValue == "3.0.0")
        }
    }

    /// Another tenant's canary never appears on any Loki endpoint, whichever way a tenant is named.
    @Test func everyLokiEndpointStaysInsideTheTokensTenant() async throws {
        let fixture = try TestServer()
        defer { fixture.remove() }
        try await fixture.run { client in
            let (start, end) = try await Self.seed(client, fixture)
            let range = "start=\(start)&end=\(end)"
            let everything = Self.encode(#"{service=~".+"}"#)
            let paths = [
                "/loki/api/v1/query_range?query=\(everything)&\(range)",
                "/loki/api/v1/query_range?query=\(Self.encode(#"{service="api"} |= "canary""#))&\(range)",
                "/loki/api/v1/query?query=\(Self.encode(#"count_over_time({service=~".+"} |= "canary" [1h])"#))&time=\(end)",
                "/loki/api/v1/label/level/values?\(range)&query=\(Self.encode(#"{service="api"} |= "canary""#))",
                "/loki/api/v1/series?\(range)&match%5B%5D=\(Self.encode(#"{service="api"} |= "canary""#))",
                "/loki/api/v1/index/stats?\(range)&query=\(Self.encode(#"{service="api"} |= "canary""#))",
            ]
            for path in paths {
                let reply = try await client.send(path, token: fixture.readA)
                #expect(reply.status == 200, "\(path): \(reply.status) \(reply.text)")
                #expect(!reply.text.contains("canary") && !reply.text.contains("b-canary"), "\(path): \(reply.text)")
                if path.contains("index/stats") { #expect(reply.json?["entries"] == .number("0")) }
                if path.contains("series") || path.contains("label/") { #expect(reply.json?["data"] == .array([]), "\(path): \(reply.text)") }
                // Naming B is refused for A's read token, by header or by parameter.
                #expect(try await client.send(path, token: fixture.readA, headers: [("X-Scope-OrgID", "tenant-b")]).status == 403)
                #expect(try await client.send(path + "&tenant=tenant-b", token: fixture.readA).status == 403)
            }
            // An admin of A may name B, and sees B's canary there.
            let asAdmin = try await client.send(paths[1], token: fixture.adminA, headers: [("X-Scope-OrgID", "tenant-b")])
            #expect(asAdmin.text.contains("b-canary"))
            // Without a token, nothing.
            #expect(try await client.send(paths[0], token: nil).status == 401)
        }
    }
}
