import Foundation
import Keel
import KeelWire

/// A batch of canonical lines as a destination's format takes it: the body and its headers. Bodies are gzip'd at
/// level 1: shipping runs on the service's own machine, where CPU matters more than the fifth more bytes level 6
/// would save.
struct BatchEncoding {
    let body: [UInt8]
    let contentType: String
    let contentEncoding: String?

    /// `lines` (canonical JSON, one event each) for `destination`.
    static func encode(_ lines: [[UInt8]], for destination: ShippingDestination) throws -> BatchEncoding {
        switch destination.format {
        case .keel:
            var text: [UInt8] = []
            text.reserveCapacity(lines.reduce(0) { $0 + $1.count + 1 })
            for line in lines {
                text += line
                text.append(0x0A)
            }
            return BatchEncoding(body: Gzip.compress(text, level: 1), contentType: "application/x-ndjson", contentEncoding: "gzip")
        case .loki:
            let streams = lokiStreams(lines, labels: destination.lokiLabels, metadata: destination.lokiStructuredMetadata)
            return BatchEncoding(body: try LokiPushEncoder.body(streams),
                contentType: "application/x-protobuf", contentEncoding: nil)
        case .otlp:
            let events = lines.map { (try? JSONParser.parse($0)) ?? .string(String(decoding: $0, as: UTF8.self)) }
            return BatchEncoding(body: Gzip.compress(try OTLPLogsEncoder.body(events), level: 1), contentType: "application/x-protobuf",
                contentEncoding: "gzip")
        }
    }

    /// Lines grouped into streams by the values of `labels`, each stream's entries in the lines' order (Loki wants
    /// a stream's entries in order; a batch keeps the spool's), with the values of the `metadata` fields a line has
    /// as its structured metadata (numbers and booleans as their JSON text).
    static func lokiStreams(_ lines: [[UInt8]], labels: [String], metadata: [String] = []) -> [LokiPushEncoder.Stream] {
        var streams: [LokiPushEncoder.Stream] = []
        var index: [String: Int] = [:]
        for bytes in lines {
            let line = String(decoding: bytes, as: UTF8.self)
            let event = try? JSONParser.parse(bytes)
            var pairs: [(String, String)] = []
            for name in labels {
                if let value = event?[name]?.stringValue, !value.isEmpty { pairs.append((name, value)) }
            }
            if pairs.isEmpty { pairs = [("service", "unknown")] }
            let key = LokiPushEncoder.labels(pairs)
            let time = event?["timestamp"]?.stringValue.flatMap { Timestamp(rfc3339: $0) } ?? Timestamp.now()
            let (nanoseconds, overflow) = time.microsecondsSinceEpoch.multipliedReportingOverflow(by: 1000)
            var attached: [(String, String)] = []
            for name in metadata {
                guard let value = event?[name] else { continue }
                switch value {
                case .string(let text): if !text.isEmpty { attached.append((name, text)) }
                case .number, .bool: attached.append((name, value.jsonText))
                default: continue
                }
            }
            let entry = (nanoseconds: overflow ? 0 : nanoseconds, line: line, metadata: attached)
            if let at = index[key] {
                streams[at].entries.append(entry)
            } else {
                index[key] = streams.count
                streams.append(LokiPushEncoder.Stream(labels: key, entries: [entry]))
            }
        }
        return streams
    }
}
