import Foundation
import Keel
@testable import KeelServer
@testable import KeelWire
import SwiftProtobuf
import Testing

/// Each ingest format over real HTTP: what a producer sends arrives canonical, redacted, and once.
@Suite struct IngestFormatTests {
    @Test func ndjsonIsNormalisedRedactedAndARetriedBatchIsStoredOnce() async throws {
        let fixture = try TestServer()
        defer { fixture.remove() }
        try await fixture.run { client in
            let batch = [
                keelLine("e-1", message: "card 4111 1111 1111 1111 declined", extra: "\"request_id\":\"req-1\",\"service\":\"api\""),
                // Another logger's names: ts, lvl, msg, req_id; and a member that is no canonical field.
                "{\"ts\":\"2026-11-23T10:00:00.5Z\",\"lvl\":\"warning\",\"msg\":\"slow\",\"req_id\":\"req-1\",\"shard\":7,\"tenant_id\":\"someone-else\"}",
                // Body-like keys are summarised, secrets removed.
                keelLine("e-3", extra: "\"password\":\"hunter2\",\"payload\":{\"text\":\"private words\"}"),
            ]
            let first = try await client.ingest(batch, token: fixture.ingestA)
            #expect(first.status == 200, "\(first.text)")
            #expect(first.json?["stored"] == .number("3"))
            let retry = try await client.ingest(batch, token: fixture.ingestA)
            #expect(retry.json?["stored"] == .number("0"))
            #expect(retry.json?["duplicates"] == .number("3"))

            let events = try await client.events(token: fixture.readA, query: "from=2026-01-01T00:00:00Z")
            #expect(events.count == 3)
            let slow = try #require(events.first { $0["message"]?.stringValue == "slow" })
            #expect(slow["level"]?.stringValue == "WARN")
            #expect(slow["timestamp"]?.stringValue == "2026-11-23T10:00:00.500000Z")
            #expect(slow["request_id"]?.stringValue == "req-1")
            #expect(slow["tenant_id"]?.stringValue == "tenant-a", "the token's tenant, never the line's")
            #expect(slow["context"]?["shard"] == .number("7"))
            #expect(slow["context"]?["tenant_id"]?.stringValue == "someone-else")
            #expect(slow["event_id"]?.stringValue?.count == 36, "derived from the line, so a retry gets the same one")
            let card = try #require(events.first { $0["event_id"]?.stringValue == "e-1" })
            #expect(card["message"]?.stringValue?.contains("4111 1111 1111 1111") == false)
            #expect(card["redacted"] == .array([.string("CREDIT_CARD")]))
            let secret = try #require(events.first { $0["event_id"]?.stringValue == "e-3" })
            #expect(!secret.jsonText.contains("hunter2"))
            #expect(!secret.jsonText.contains("private words"))

            let metrics = try await client.send("/metrics", token: fixture.adminA).text
            #expect(metrics.contains("keel_ingest_events_total{format=\"ndjson\"} 3"))
            #expect(metrics.contains("keel_ingest_duplicates_total{format=\"ndjson\"} 3"))
            #expect(metrics.contains("keel_query_duration_seconds_count"))
            let storeBytes = metrics.split(separator: "\n").first { $0.hasPrefix("keel_store_bytes ") }
            #expect((storeBytes.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0) > 0)
        }
    }

    @Test func gzipBodiesAreAccepted() async throws {
        let fixture = try TestServer()
        defer { fixture.remove() }
        try await fixture.run { client in
            let lines = (0..<200).map { keelLine("gz-\($0)", message: "compressed \($0)") }
            let reply = try await client.send(
                "/v1/events", method: .POST, token: fixture.ingestA, headers: [("Content-Encoding", "gzip")],
                body: gzip(Array(lines.joined(separator: "\n").utf8)), contentType: "application/x-ndjson")
            #expect(reply.status == 200, "\(reply.text)")
            #expect(try await client.events(token: fixture.readA).count == 200)
        }
    }

    @Test func lokiJSONPushWithLabelsAndStructuredMetadata() async throws {
        let fixture = try TestServer()
        defer { fixture.remove() }
        try await fixture.run { client in
            let body = """
                {"streams":[{"stream":{"service_name":"billing","level":"error","job":"promtail"},
                 "values":[["1795435200000000000","card declined",{"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"}],
                           ["1795435200000001000","{\\"msg\\":\\"a json line\\",\\"req_id\\":\\"r-9\\",\\"level\\":\\"info\\"}"]]}]}
                """
            // Promtail's convention for hosted Loki: Basic auth with the token as the password.
            let basic = Data("tenant-a:\(fixture.ingestA)".utf8).base64EncodedString()
            for _ in 0..<2 {
                let reply = try await client.send(
                    "/loki/api/v1/push", method: .POST, token: nil, headers: [("Authorization", "Basic \(basic)")],
                    body: Array(body.utf8), contentType: "application/json")
                #expect(reply.status == 204, "\(reply.text)")
            }
            let events = try await client.events(token: fixture.readA, query: "from=2026-11-01T00:00:00Z")
            #expect(events.count == 2, "the second push is a retry")
            let plain = try #require(events.first { $0["message"]?.stringValue == "card declined" })
            #expect(plain["timestamp"]?.stringValue == "2026-11-23T12:00:00.000000Z")
            #expect(plain["level"]?.stringValue == "ERROR")
            #expect(plain["service"]?.stringValue == "billing")
            #expect(plain["trace_id"]?.stringValue == "4bf92f3577b34da6a3ce929d0e0e4736")
            #expect(plain["context"]?["job"]?.stringValue == "promtail")
            let json = try #require(events.first { $0["message"]?.stringValue == "a json line" })
            #expect(json["request_id"]?.stringValue == "r-9")
            #expect(json["level"]?.stringValue == "INFO", "the line's own level wins over the stream label")
        }
    }

    @Test func lokiProtobufPushSnappyCompressed() async throws {
        let fixture = try TestServer()
        defer { fixture.remove() }
        var request = Logproto_PushRequest()
        var stream = Logproto_StreamAdapter()
        stream.labels = "{app=\"api\", env=\"prod\", note=\"say \\\"hi\\\"\"}"
        for n in 0..<50 {
            var entry = Logproto_EntryAdapter()
            entry.timestamp = Google_Protobuf_Timestamp(seconds: 1_795_435_200 + Int64(n), nanos: 0)
            entry.line = "protobuf line \(n)"
            var metadata = Logproto_LabelPairAdapter()
            metadata.name = "request_id"
            metadata.value = "pb-\(n % 5)"
            entry.structuredMetadata = [metadata]
            stream.entries.append(entry)
        }
        request.streams = [stream]
        let body = Snappy.block(try request.serializedBytes())
        try await fixture.run { client in
            let reply = try await client.send(
                "/loki/api/v1/push", method: .POST, token: fixture.ingestA, body: body, contentType: "application/x-protobuf")
            #expect(reply.status == 204, "\(reply.text)")
            let events = try await client.events(token: fixture.readA, query: "request_id=pb-3")
            #expect(events.count == 10)
            #expect(events.first?["context"]?["app"]?.stringValue == "api")
            #expect(events.first?["context"]?["note"]?.stringValue == "say \"hi\"")
            #expect(events.first?["env"]?.stringValue == "prod")
        }
    }

    @Test func otlpProtobufAndJSON() async throws {
        let fixture = try TestServer()
        defer { fixture.remove() }
        typealias OTLP = Opentelemetry_Proto_Logs_V1_ExportLogsServiceRequest
        var request = OTLP()
        var resourceLogs = Opentelemetry_Proto_Logs_V1_ResourceLogs()
        var serviceName = Opentelemetry_Proto_Logs_V1_KeyValue()
        serviceName.key = "service.name"
        serviceName.value.stringValue = "checkout"
        resourceLogs.resource.attributes = [serviceName]
        var scopeLogs = Opentelemetry_Proto_Logs_V1_ScopeLogs()
        for n in 0..<3 {
            var record = Opentelemetry_Proto_Logs_V1_LogRecord()
            record.timeUnixNano = 1_795_435_200_000_000_000 + UInt64(n) * 1_000_000
            record.severityNumber = 17
            record.body.stringValue = "otlp protobuf \(n)"
            record.traceID = Data((0..<16).map { UInt8($0 + 1) })
            record.spanID = Data((0..<8).map { UInt8($0 + 0xA0) })
            var attribute = Opentelemetry_Proto_Logs_V1_KeyValue()
            attribute.key = "http.status_code"
            attribute.value.intValue = 502
            record.attributes = [attribute]
            scopeLogs.logRecords.append(record)
        }
        resourceLogs.scopeLogs = [scopeLogs]
        request.resourceLogs = [resourceLogs]
        let json = """
            {"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"web"}}]},
             "scopeLogs":[{"logRecords":[{"timeUnixNano":"1795435200500000000","severityText":"Warning",
               "body":{"kvlistValue":{"values":[{"key":"msg","value":{"stringValue":"structured body"}},
                                                {"key":"user_id","value":{"stringValue":"u-7"}}]}},
               "traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"EEE19B7EC3C1B174",
               "attributes":[{"key":"retries","value":{"intValue":"3"}}]}]}]}]}
            """
        let protobuf: [UInt8] = try request.serializedBytes()
        try await fixture.run { client in
            let binary = try await client.send(
                "/v1/logs", method: .POST, token: fixture.ingestA, body: protobuf,
                contentType: "application/x-protobuf")
            #expect(binary.status == 200, "\(binary.text)")
            #expect(binary.header("Content-Type") == "application/x-protobuf")
            #expect((try? Opentelemetry_Proto_Logs_V1_ExportLogsServiceResponse(serializedBytes: binary.body)) != nil)
            let text = try await client.send(
                "/v1/logs", method: .POST, token: fixture.ingestA, body: Array(json.utf8), contentType: "application/json")
            #expect(text.status == 200, "\(text.text)")

            let events = try await client.events(token: fixture.readA, query: "from=2026-11-23T08:00:00Z")
            #expect(events.count == 4)
            let first = try #require(events.first)
            #expect(first["message"]?.stringValue == "otlp protobuf 0")
            #expect(first["level"]?.stringValue == "ERROR")
            #expect(first["service"]?.stringValue == "checkout")
            #expect(first["trace_id"]?.stringValue == "0102030405060708090a0b0c0d0e0f10")
            #expect(first["span_id"]?.stringValue == "a0a1a2a3a4a5a6a7")
            // OpenTelemetry's semantic conventions land in the schema.
            #expect(first["status"] == .number("502"))
            let structured = try #require(events.last)
            #expect(structured["message"]?.stringValue == "structured body")
            #expect(structured["level"]?.stringValue == "WARN")
            #expect(structured["user_id"]?.stringValue == "u-7")
            #expect(structured["service"]?.stringValue == "web")
            #expect(structured["trace_id"]?.stringValue == "5b8efff798038103d269b633813fc60c")
            #expect(structured["context"]?["retries"] == .number("3"))

            // A retried export is not stored twice, in either encoding.
            _ = try await client.send(
                "/v1/logs", method: .POST, token: fixture.ingestA, body: protobuf,
                contentType: "application/x-protobuf")
            _ = try await client.send(
                "/v1/logs", method: .POST, token: fixture.ingestA, body: Array(json.utf8), contentType: "application/json")
            #expect(try await client.events(token: fixture.readA, query: "from=2026-11-23T08:00:00Z").count == 4)
        }
    }

    @Test func snappyCopiesAndLabelSetsDecode() throws {
        // "a" then a copy of offset 1, length 19: twenty "a"s.
        #expect(try Decompression.unsnappy([0x14, 0x00, 0x61, 0x4A, 0x01, 0x00], limits: IngestLimits()) == Array(repeating: 0x61, count: 20))
        #expect(throws: IngestError.self) { try Decompression.unsnappy([0x14, 0x00, 0x61, 0x4A, 0x05, 0x00], limits: IngestLimits()) }
        // What the Loki sink sends: compressed (repetitive lines shrink) and read back whole.
        let lines = Array((0..<2_000).map { #"{"level":"INFO","message":"request handled","n":\#($0)}"# + "\n" }.joined().utf8)
        let block = Snappy.block(lines)
        #expect(block.count * 3 < lines.count)
        #expect(try Decompression.unsnappy(block, limits: IngestLimits()) == lines)
        #expect(try Decompression.unsnappy(Snappy.block([]), limits: IngestLimits()) == [])
        // A block announcing more than the limits allow is refused before anything is allocated.
        #expect(throws: IngestError.self) { try Decompression.unsnappy([0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x00], limits: IngestLimits()) }
        let labels = try LabelSet.parse("{a=\"1\", b_c=\"x\\\"y\"}", stream: 0)
        #expect(labels.map(\.key) == ["a", "b_c"])
        #expect(labels.map(\.value) == ["1", "x\"y"])
        #expect(throws: IngestError.self) { try LabelSet.parse("a=1", stream: 0) }
    }
}
