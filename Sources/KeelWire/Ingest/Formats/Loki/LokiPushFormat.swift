import HTTPTypes
import Keel

/// `POST /loki/api/v1/push`: Grafana Loki's push API (``LokiPushRecords``), JSON or snappy-compressed protobuf.
///
/// Answers `204` when everything was stored; `400` naming what was discarded while keeping the rest, as Loki does.
public struct LokiPushFormat: IngestFormat {
    public var name: String { "loki" }

    public init() {}

    public func records(
        _ body: [UInt8], contentType: String, contentEncoding: String?, limits: IngestLimits
    ) throws(IngestError) -> DecodedRecords {
        if IngestBody.isProtobuf(contentType: contentType) {
            // Loki's protobuf pushes are snappy-compressed blocks without a Content-Encoding header.
            let body = contentEncoding == nil ? try Decompression.unsnappy(body, limits: limits) : body
            return try LokiPushRecords.protobufRecords(body, limits: limits)
        } else if contentType.isEmpty || contentType.hasPrefix("application/json") {
            return try LokiPushRecords.jsonRecords(body, limits: limits)
        }
        throw .unsupported("Loki pushes are application/json or application/x-protobuf, not \(contentType.prefix(80))")
    }

    public func acknowledgement(contentType: String, stored: Int, duplicates: Int, refused: [RecordRefusal]) -> IngestAcknowledgement {
        guard let first = refused.first else { return IngestAcknowledgement(status: .noContent, contentType: nil, body: []) }
        let message = "\(refused.count) of \(refused.count + stored + duplicates) entries were not stored; the rest were"
        return IngestAcknowledgement(
            status: .badRequest,
            json: .object([
                ("error", .string("\(message) (first: \(first))")), ("reason", .string(first.reason)),
                ("refused", .number(String(refused.count))), ("errors", IngestAcknowledgement.list(refused)),
            ]))
    }
}
