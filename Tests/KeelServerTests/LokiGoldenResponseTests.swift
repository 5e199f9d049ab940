import Foundation
import Keel
@testable import KeelServer
import Testing

/// Loki's documented examples, answered by `keel serve` whole: the streams pushed are the ones Loki's HTTP API
/// reference queries (`{job="varlogs"}`, levels info and warn, the lines `foo`, `bar` and `baz`), the requests are the
/// reference's, and each answer must be exactly the response below — the reference's, in Keel's words where Keel's
/// differ by design:
///
/// - stream labels are the canonical schema's low-cardinality fields (`level`, `service` …) and Loki's own labels
///   (`job`, `filename`) are kept in `context`: selectors, `by (…)`, `labels` and `label/<name>/values` find them, but
///   they do not split streams;
/// - levels are canonical (`info` is `INFO`), and a line is the canonical event (its `message` is what was pushed:
///   the comparison below reads each line's message);
/// - `stats` vary from run to run and are left out of the comparison.
@Suite struct LokiGoldenResponseTests {
    /// The reference's streams, pushed as its push example does (JSON).
    static let push = #"""
        {"streams":[
          {"stream":{"job":"varlogs","level":"info","filename":"/var/log/myproject.log"},
           "values":[["1569266497240578000","foo"],["1569266492548155000","bar"]]},
          {"stream":{"job":"varlogs","level":"warn","filename":"/var/log/myproject.log"},
           "values":[["1569266495000000000","baz"]]}
        ]}
        """#

    /// An answer as compared: `stats` left out, each stream line replaced by its message.
    static func comparable(_ reply: TestServer.Client.Reply) -> String {
        guard case .object(var root)? = reply.json else { return reply.text }
        if let at = root.firstIndex(where: { $0.key == "data" }), case .object(var data) = root[at].value {
            data.removeAll { $0.key == "stats" }
            if let result = data.firstIndex(where: { $0.key == "result" }), case .array(let streams) = data[result].value,
                data.contains(where: { $0.key == "resultType" && $0.value.stringValue == "streams" })
            {
                data[result].value = .array(streams.map { stream in
                    guard case .object(var members) = stream, let values = members.firstIndex(where: { $0.key == "values" }),
                        case .array(let entries) = members[values].value
                    else { return stream }
                    members[values].value = .array(entries.map { entry in
                        guard case .array(let pair) = entry, pair.count == 2, let line = pair[1].stringValue,
                            let message = (try? JSONParser.parse(line))?["message"]
                        else { return entry }
                        return .array([pair[0], message])
                    })
                    return .object(members)
                })
            }
            root[at].value = .object(data)
        }
        return JSONValue.object(root).jsonText
    }

    static func encode(_ text: String) -> String { text.addingPercentEncoding(withAllowedCharacters: .alphanumerics)! }

    /// Start and end around the reference's lines (Unix seconds; Loki takes either).
    static let range = "&start=1569266400&end=1569267000"

    static let examples: [(request: String, answer: String)] = [
        // "Query logs within a range of time": a log query, newest first.
        ("/loki/api/v1/query_range?query=\(encode(#"{job="varlogs"}"#))\(range)",
         #"{"status":"success","data":{"resultType":"streams","result":[{"stream":{"event":"log","level":"INFO"},"values":[["1569266497240578000","foo"],["1569266492548155000","bar"]]},{"stream":{"event":"log","level":"WARN"},"values":[["1569266495000000000","baz"]]}]}}"#),
        // The same, oldest first and at most two lines.
        ("/loki/api/v1/query_range?query=\(encode(#"{job="varlogs"}"#))\(range)&direction=forward&limit=2",
         #"{"status":"success","data":{"resultType":"streams","result":[{"stream":{"event":"log","level":"INFO"},"values":[["1569266492548155000","bar"]]},{"stream":{"event":"log","level":"WARN"},"values":[["1569266495000000000","baz"]]}]}}"#),
        // "Query logs within a range of time": a metric query at every step.
        ("/loki/api/v1/query_range?query=\(encode(#"sum(rate({job="varlogs"}[10m])) by (level)"#))\(range)&step=300",
         #"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"level":"INFO"},"values":[[1569266700,"0.0033333333333333335"],[1569267000,"0.0033333333333333335"]]},{"metric":{"level":"WARN"},"values":[[1569266700,"0.0016666666666666668"],[1569267000,"0.0016666666666666668"]]}]}}"#),
        // "Query logs at a single point in time".
        ("/loki/api/v1/query?query=\(encode(#"sum(rate({job="varlogs"}[10m])) by (level)"#))&time=1569266700",
         #"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"level":"INFO"},"value":[1569266700,"0.0033333333333333335"]},{"metric":{"level":"WARN"},"value":[1569266700,"0.0016666666666666668"]}]}}"#),
        // Grafana's "Save & test".
        ("/loki/api/v1/query?query=\(encode("vector(1)+vector(1)"))&time=1569266700",
         #"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1569266700,"2"]}]}}"#),
        // "Query labels", "Query label values", "Query streams".
        ("/loki/api/v1/labels?start=1569266400000000000&end=1569267000000000000",
         #"{"status":"success","data":["event","filename","job","level"]}"#),
        ("/loki/api/v1/label/job/values?start=1569266400000000000&end=1569267000000000000",
         #"{"status":"success","data":["varlogs"]}"#),
        ("/loki/api/v1/label/level/values?start=1569266400000000000&end=1569267000000000000",
         #"{"status":"success","data":["INFO","WARN"]}"#),
        ("/loki/api/v1/series?match%5B%5D=\(encode(#"{job="varlogs"}"#))&start=1569266400000000000&end=1569267000000000000",
         #"{"status":"success","data":[{"event":"log","level":"INFO"},{"event":"log","level":"WARN"}]}"#),
        // "Query log statistics" and "Query log volume".
        ("/loki/api/v1/index/stats?query=\(encode(#"{job="varlogs"}"#))\(range)",
         #"{"streams":2,"chunks":3,"entries":3,"bytes":732}"#),
        ("/loki/api/v1/index/volume?query=\(encode(#"{level=~".+"}"#))\(range)",
         #"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"level":"INFO"},"value":[1569267000,"488"]},{"metric":{"level":"WARN"},"value":[1569267000,"244"]}]}}"#),
    ]

    @Test func theReferencesExamplesAreAnsweredAsTheReferenceShows() async throws {
        let fixture = try TestServer()
        defer { fixture.remove() }
        try await fixture.run { client in
            let pushed = try await client.send(
                "/loki/api/v1/push", method: .POST, token: fixture.ingestA, body: Array(Self.push.utf8), contentType: "application/json")
            #expect(pushed.status == 204, "\(pushed.text)")
            for (request, answer) in Self.examples {
                let reply = try await client.send(request, token: fixture.readA)
                #expect(reply.status == 200, "\(request): \(reply.text)")
                let got = Self.comparable(reply)
                #expect(got == answer, "\(request)\n got  \(got)\n want \(answer)")
            }
        }
    }
}
