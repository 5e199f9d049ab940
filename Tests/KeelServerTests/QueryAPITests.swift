import Foundation
import Keel
@testable import KeelServer
import Testing

/// Keel's own `GET /v1/query?q=<LogQL>`: a log query pages through events exactly once each, even when many share a
/// timestamp; a metric query answers in plain JSON; another tenant sees nothing.
@Suite struct QueryAPITests {
    @Test func logQueriesPageExactlyOnceAndMetricsAnswerInPlainJSON() async throws {
        let fixture = try TestServer()
        defer { fixture.remove() }
        try await fixture.run { client in
            let base = Date().addingTimeInterval(-600)
            // 25 events, five at each of five instants.
            let lines = (0..<25).map { n in keelLine("q-\(n)", message: "event \(n)", at: base.addingTimeInterval(Double(n / 5)), extra: #""service":"api""#) }
            #expect(try await client.ingest(lines, token: fixture.ingestA).status == 200)
            let query = #"{service="api"}"#.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            var ids: [String] = []
            var cursor: String?
            for _ in 0..<20 {
                let reply = try await client.send("/v1/query?q=\(query)&since=1h&limit=4" + (cursor.map { "&cursor=\($0)" } ?? ""), token: fixture.readA)
                #expect(reply.status == 200, "\(reply.text)")
                guard case .array(let events)? = reply.json?["events"] else { break }
                ids += events.compactMap { $0["event_id"]?.stringValue }
                guard let next = reply.json?["next"]?.stringValue else { break }
                cursor = next
            }
            #expect(ids.count == 25)
            #expect(Set(ids).count == 25)
            #expect(ids.map { Int($0.dropFirst(2))! / 5 } == (0..<25).map { $0 / 5 }, "oldest first")

            let metric = #"count_over_time({service="api"}[1h])"#.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let counted = try await client.send("/v1/query?q=\(metric)", token: fixture.readA)
            #expect(counted.status == 200)
            guard case .array(let samples)? = counted.json?["samples"] else {
                Issue.record("\(counted.text)")
                return
            }
            #expect(samples.first?["value"] == .number("25"))
            #expect(samples.first?["labels"]?["service"]?.stringValue == "api")
            let stepped = try await client.send("/v1/query?q=\(metric)&since=30m&step=10m", token: fixture.readA)
            guard case .array(let series)? = stepped.json?["series"], case .array(let points)? = series.first?["points"] else {
                Issue.record("\(stepped.text)")
                return
            }
            // Four steps over the last 30 minutes; the events (10 minutes ago) are in the windows of the last two.
            #expect(points.count == 2)
            #expect(points.last?["value"] == .number("25"))
            #expect(points.last?["time"]?.stringValue.flatMap { Timestamp(rfc3339: $0) } != nil)

            let other = try await client.send("/v1/query?q=\(query)&since=1h", token: fixture.readB)
            #expect(other.json?["events"] == .array([]))
            let bad = try await client.send("/v1/query?q=\("{service=".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)", token: fixture.readA)
            #expect(bad.status == 400)
            #expect(bad.json?["reason"]?.stringValue == "invalid_query")
            #expect(try await client.send("/v1/query?q=\(query)&cursor=nonsense", token: fixture.readA).status == 400)
            // Numbers a client chose cannot trap the server: a huge count in a cursor, a negative limit.
            let huge = try await client.send("/v1/query?q=\(query)&since=1h&cursor=1.\(Int.max)", token: fixture.readA)
            #expect(huge.status == 200, "\(huge.text)")
            #expect(try await client.send("/v1/query?q=\(query)&since=1h&limit=-5", token: fixture.readA).status == 200)
            #expect(try await client.send("/v1/query?q=\(query)&since=\(Int64.max)d", token: fixture.readA).status == 400)
        }
    }
}
