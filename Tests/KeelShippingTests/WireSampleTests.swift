import Foundation
import Keel
@testable import KeelShipping
import KeelWire
import Testing

/// The bodies the Loki and OTLP sinks send, for a fixed batch: written to `$KEEL_WIRE_SAMPLES` when it is set, where
/// `Tests/Wire/check_bodies.py` decodes them with the formats' official schemas (run by scripts/test).
struct WireSampleTests {
    static let lines: [String] = [
        #"{"timestamp":"2026-12-05T10:00:00.000001Z","level":"ERROR","message":"upstream failed","service":"api","env":"prod","version":"1.4.2","event_id":"wire-1","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","status":502,"duration_ms":12.5,"retryable":true,"context":{"attempt":2}}"#,
        #"{"timestamp":"2026-12-05T10:00:01Z","level":"INFO","message":"request handled","service":"api","env":"prod","event_id":"wire-2","route":"/v1/chat"}"#,
        #"{"timestamp":"2026-12-05T10:00:02Z","level":"INFO","message":"job done","service":"worker","event_id":"wire-3"}"#,
    ]

    @Test func lokiAndOTLPBodiesAreWrittenForTheSchemaCheck() throws {
        let lines = Self.lines.map { Array($0.utf8) }
        var lokiDestination = ShippingDestination(url: "http://x", format: .loki)
        lokiDestination.lokiStructuredMetadata = ["trace_id", "status", "retryable", "context", "missing"]
        let loki = try BatchEncoding.encode(lines, for: lokiDestination)
        let otlp = try BatchEncoding.encode(lines, for: ShippingDestination(url: "http://x", format: .otlp))
        #expect(loki.contentType == "application/x-protobuf" && loki.contentEncoding == nil)
        #expect(otlp.contentType == "application/x-protobuf" && otlp.contentEncoding == "gzip")
        // Loki's streams: api ERROR, api INFO, worker INFO, each with its lines in order.
        #expect(BatchEncoding.lokiStreams(lines, labels: ["service", "env", "level"]).map(\.labels) == [
            #"{env="prod", level="ERROR", service="api"}"#, #"{env="prod", level="INFO", service="api"}"#, #"{level="INFO", service="worker"}"#,
        ])
        // Structured metadata: the named fields a line has, scalars only (numbers and booleans as JSON text).
        let streams = BatchEncoding.lokiStreams(lines, labels: ["service"], metadata: lokiDestination.lokiStructuredMetadata)
        #expect(streams[0].entries[0].metadata.map { "\($0.0)=\($0.1)" } == ["trace_id=4bf92f3577b34da6a3ce929d0e0e4736", "status=502", "retryable=true"])
        #expect(streams[0].entries[1].metadata.isEmpty)
        guard let directory = ProcessInfo.processInfo.environment["KEEL_WIRE_SAMPLES"], !directory.isEmpty else { return }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Data(loki.body).write(to: URL(fileURLWithPath: directory + "/loki-push.snappy"))
        try Data(otlp.body).write(to: URL(fileURLWithPath: directory + "/otlp-logs.pb.gz"))
    }
}
