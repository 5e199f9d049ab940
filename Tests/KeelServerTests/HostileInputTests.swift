import Foundation
import Keel
@testable import KeelServer
@testable import KeelWire
import KeelStore
import SwiftProtobuf
import Testing

/// Requests that once stopped the server for every tenant, or lost or corrupted data: each is answered, the server
/// stays up, and what was valid is stored.
@Suite struct HostileInputTests {
    /// A `logproto.PushRequest` whose entry's timestamp seconds are near Int64.max (one flipped bit): it trapped on
    /// overflow and killed the process.
    static let overflowingLokiPush = "HXAKGwoJe2pvYj0ieCJ9Eg4KBgiAyK+gJRIEYm9vbQ=="

    @Test func aLokiProtobufTimestampThatOverflowsIsRefusedAndTheServerStaysUp() async throws {
        let fixture = try TestServer()
        defer { fixture.remove() }
        try await fixture.run { client in
            let reply = try await client.send(
                "/loki/api/v1/push", method: .POST, token: fixture.ingestA,
                body: Array(Data(base64Encoded: Self.overflowingLokiPush)!), contentType: "application/x-protobuf")
            #expect(reply.status == 400, "\(reply.text)")
            #expect(reply.json?["reason"]?.stringValue == "invalid_timestamp", "\(reply.text)")
            #expect(try await client.events(token: fixture.readA, query: "from=0").isEmpty)
            #expect(try await client.send("/healthz", token: nil).status == 200)
        }
    }

    @Test(arguments: ["99999999999d", "9223372036854775807s", "-1d", "12x", "d"])
    func aSinceThatDoesNotFitIsRefused(_ since: String) async throws {
        let fixture = try TestServer()
        defer { fixture.remove() }
        try await fixture.run { client in
            let reply = try await client.send("/v1/events?since=\(since)", token: fixture.readA)
            #expect(reply.status == 400, "\(reply.text)")
            #expect(reply.json?["error"]?.stringValue?.contains("since") == true, "\(reply.text)")
            #expect(try await client.send("/healthz", token: nil).status == 200)
        }
    }

    @Test func queryParametersAreCheckedNotIgnored() throws {
        let now: Int64 = 1_795_435_200_000_000
        // The epoch is a time.
        #expect(try EventQueryParameters.query([("from", "0")], tenant: "t", now: now).from == 0)
        // A filter the server does not know would return everything: refused, naming it.
        #expect(throws: EventQueryParameters.Invalid.self) { try EventQueryParameters.query([("service", "api")], tenant: "t", now: now) }
        do {
            _ = try EventQueryParameters.query([("limit", "5"), ("service", "api")], tenant: "t", now: now)
            Issue.record("an unknown parameter was accepted")
        } catch {
            #expect(error.message.contains("service"))
        }
        for bad in [("limit", "99999999999999999999999"), ("from", "1e400"), ("to", "-5"), ("cursor", "1.2"), ("since", "99999999999d")] {
            #expect(throws: EventQueryParameters.Invalid.self, "\(bad)") { try EventQueryParameters.query([bad], tenant: "t", now: now) }
        }
        #expect(try EventQueryParameters.query([("since", "15m")], tenant: "t", now: now).from == now - 900_000_000)
        #expect(EventQueryParameters.lastEventID("18446744073709551616") == nil)
        #expect(EventQueryParameters.lastEventID("-1") == nil)
        #expect(EventQueryParameters.lastEventID("42") == 42)
    }

    @Test func unknownParametersAreRefusedOverHTTPAndTheEpochIsATime() async throws {
        let fixture = try TestServer()
        defer { fixture.remove() }
        try await fixture.run { client in
            _ = try await client.ingest([keelLine("e-1")], token: fixture.ingestA)
            let unknown = try await client.send("/v1/events?service=api", token: fixture.readA)
            #expect(unknown.status == 400)
            #expect(unknown.json?["error"]?.stringValue?.contains("service") == true, "\(unknown.text)")
            let epoch = try await client.send("/v1/events?from=0", token: fixture.readA)
            #expect(epoch.status == 200, "\(epoch.text)")
            #expect(epoch.json?["events"]?.arrayValue?.count == 1)
        }
    }

    /// OTLP JSON numbers past 64 bits (or infinite) as times and severities trapped in unchecked conversions.
    @Test func otlpJSONNumbersOutOfRangeAreRefusedOrClampedNeverTrapped() async throws {
        let fixture = try TestServer()
        defer { fixture.remove() }
        try await fixture.run { client in
            func push(_ record: String) async throws -> TestServer.Client.Reply {
                try await client.send(
                    "/v1/logs", method: .POST, token: fixture.ingestA,
                    body: Array("{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[\(record)]}]}]}".utf8), contentType: "application/json")
            }
            for time in ["1e20", "1e999999", "-1", "\"18446744073709551616\"", "1.5"] {
                let reply = try await push("{\"timeUnixNano\":\(time),\"body\":{\"stringValue\":\"x\"}}")
                #expect(reply.status == 400, "\(time): \(reply.text)")
                #expect(reply.json?["reason"]?.stringValue == "invalid_timestamp", "\(time): \(reply.text)")
            }
            for (n, severity) in ["\"18446744073709551615\"", "1e19", "-3", "1e999"].enumerated() {
                let reply = try await push("{\"severityNumber\":\(severity),\"body\":{\"stringValue\":\"severity \(n)\"}}")
                #expect(reply.status == 200, "\(severity): \(reply.text)")
            }
            #expect(try await client.events(token: fixture.readA, query: "from=0").count == 4)
            #expect(try await client.send("/healthz", token: nil).status == 200)
        }
    }

    @Test func oneBadRecordCostsOnlyItselfInEveryFormat() async throws {
        let fixture = try TestServer()
        defer { fixture.remove() }
        try await fixture.run { client in
            let now = Int64(Date().timeIntervalSince1970) * 1_000_000_000
            // Loki: an entry ten minutes and more in the future is refused, the other entry stored; Loki's answer for
            // discarded entries is a 400, so the client does not resend what was stored.
            let future = now + 3_600_000_000_000
            let loki = try await client.send(
                "/loki/api/v1/push", method: .POST, token: fixture.ingestA,
                body: Array("{\"streams\":[{\"stream\":{\"app\":\"a\"},\"values\":[[\"\(now)\",\"ok\"],[\"\(future)\",\"skewed\"]]}]}".utf8),
                contentType: "application/json")
            #expect(loki.status == 400, "\(loki.text)")
            #expect(loki.json?["errors"]?.arrayValue?.first?["record"]?.doubleValue == 2, "\(loki.text)")
            #expect(loki.json?["errors"]?.arrayValue?.first?["reason"]?.stringValue == "future_timestamp", "\(loki.text)")
            // OTLP protobuf: partial_success with the count and why.
            var request = Opentelemetry_Proto_Logs_V1_ExportLogsServiceRequest()
            var scope = Opentelemetry_Proto_Logs_V1_ScopeLogs()
            for (time, text) in [(UInt64(now), "otlp ok"), (UInt64(future), "otlp skewed")] {
                var record = Opentelemetry_Proto_Logs_V1_LogRecord()
                record.timeUnixNano = time
                record.body.stringValue = text
                scope.logRecords.append(record)
            }
            var resource = Opentelemetry_Proto_Logs_V1_ResourceLogs()
            resource.scopeLogs = [scope]
            request.resourceLogs = [resource]
            let otlp = try await client.send(
                "/v1/logs", method: .POST, token: fixture.ingestA, body: try request.serializedBytes(), contentType: "application/x-protobuf")
            #expect(otlp.status == 200)
            let answer = try Opentelemetry_Proto_Logs_V1_ExportLogsServiceResponse(serializedBytes: otlp.body)
            #expect(answer.partialSuccess.rejectedLogRecords == 1)
            #expect(answer.partialSuccess.errorMessage.contains("future_timestamp"))
            // A retried batch still gets through: the valid events are not stored twice.
            let again = try await client.send(
                "/v1/logs", method: .POST, token: fixture.ingestA, body: try request.serializedBytes(), contentType: "application/x-protobuf")
            #expect(again.status == 200)
            let messages = try await client.events(token: fixture.readA, query: "from=0").compactMap { $0["message"]?.stringValue }
            #expect(messages.sorted() == ["ok", "otlp ok"])
        }
    }

    @Test func rawDeflateBodiesAndNonHexOTLPIdsAreReadAsSent() async throws {
        let fixture = try TestServer()
        defer { fixture.remove() }
        try await fixture.run { client in
            for (windowBits, id) in [(Int32(-15), "raw"), (15, "zlib"), (15 + 16, "gzip")] {
                let body = gzip(Array(keelLine("deflate-\(id)").utf8), windowBits: windowBits)
                let reply = try await client.send(
                    "/v1/events", method: .POST, token: fixture.ingestA, headers: [("Content-Encoding", "deflate")], body: body,
                    contentType: "application/x-ndjson")
                #expect(reply.status == 200, "\(id): \(reply.text)")
            }
            let base64ID = "AAECAwQFBgcICQoLDA0ODw=="
            let otlp = try await client.send(
                "/v1/logs", method: .POST, token: fixture.ingestA,
                body: Array(
                    "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"traceId\":\"\(base64ID)\",\"spanId\":\"ABCDEF0123456789\",\"body\":{\"stringValue\":\"ids\"}}]}]}]}"
                        .utf8), contentType: "application/json")
            #expect(otlp.status == 200, "\(otlp.text)")
            let event = try await client.events(token: fixture.readA, query: "q=ids").first
            #expect(event?["trace_id"]?.stringValue == base64ID)
            #expect(event?["span_id"]?.stringValue == "abcdef0123456789")
            #expect(try await client.events(token: fixture.readA, query: "from=0").count == 4)
        }
    }

    /// A stored `duration_ms` of any size (`1e300`, `1e400`, negative) once trapped the timeline that placed the
    /// event's start by it: the timeline answers, in valid JSON, and ignores implausible durations.
    @Test func aTimelineOfAbsurdDurationsAnswers() async throws {
        let fixture = try TestServer()
        defer { fixture.remove() }
        try await fixture.run { client in
            let durations = ["1e300", "-1e300", "1e400", "-5", "9223372036854775807", "12.5"]
            let lines = durations.enumerated().map { n, duration in
                keelLine("d-\(n)", at: Date().addingTimeInterval(Double(n)), extra: "\"request_id\":\"r-absurd\",\"duration_ms\":\(duration)")
            }
            let stored = try await client.ingest(lines, token: fixture.ingestA)
            #expect(stored.status == 200, "\(stored.text)")
            let reply = try await client.send("/v1/timeline?request_id=r-absurd", token: fixture.readA)
            #expect(reply.status == 200, "\(reply.text.prefix(300))")
            let timeline = try #require(reply.json, "not JSON: \(reply.text.prefix(300))")
            #expect(timeline["count"]?.doubleValue == Double(durations.count))
            // Only the plausible duration places an event's start.
            let placed = timeline["events"]?.arrayValue?.compactMap { $0["duration_ms"]?.doubleValue }
            #expect(placed == [12.5])
            #expect(try await client.send("/healthz", token: nil).status == 200)
        }
    }
}
