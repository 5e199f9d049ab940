/// The ingest endpoints' bodies, whichever format and encoding: what `Content-Type` and `Content-Encoding` say is
/// checked, the body is decompressed within ``IngestLimits``, and the format's decoder reads it. No HTTP here, so
/// the fuzz targets drive exactly what a request drives.
public enum IngestFormat: String, Sendable, CaseIterable {
    /// `POST /v1/events`: NDJSON.
    case ndjson
    /// `POST /loki/api/v1/push`: Loki's push API, JSON or snappy protobuf.
    case loki
    /// `POST /v1/logs`: OTLP/HTTP logs, protobuf or JSON.
    case otlp
}

public enum IngestBody {
    /// The records of `body` (as sent: compressed or not), or why the request is refused whole.
    public static func decode(
        _ body: [UInt8], format: IngestFormat, contentType: String?, contentEncoding: String?, limits: IngestLimits
    ) throws(IngestError) -> DecodedRecords {
        let contentType = contentType?.lowercased() ?? ""
        let isProtobuf = Self.isProtobuf(contentType: contentType)
        var body = body
        switch contentEncoding?.lowercased() {
        case nil, "", "identity": break
        case "gzip", "x-gzip", "deflate": body = try Decompression.inflate(body, limits: limits)
        case "snappy": body = try Decompression.unsnappy(body, limits: limits)
        case let other?: throw .unsupported("Content-Encoding \(other.prefix(40)) is not supported (gzip, deflate, snappy)")
        }
        switch format {
        case .ndjson:
            // Text of any kind is read as NDJSON (curl's default form type included); binary formats are refused.
            guard !isProtobuf, !contentType.hasPrefix("multipart/"), !contentType.hasPrefix("application/octet-stream")
            else { throw .unsupported("send NDJSON as application/x-ndjson, not \(contentType.prefix(80))") }
            return try NDJSONFormat.records(body, limits: limits)
        case .loki:
            if isProtobuf {
                // Loki's protobuf pushes are snappy-compressed blocks without a Content-Encoding header.
                if contentEncoding == nil { body = try Decompression.unsnappy(body, limits: limits) }
                return try LokiPushFormat.protobufRecords(body, limits: limits)
            } else if contentType.isEmpty || contentType.hasPrefix("application/json") {
                return try LokiPushFormat.jsonRecords(body, limits: limits)
            }
            throw .unsupported("Loki pushes are application/json or application/x-protobuf, not \(contentType.prefix(80))")
        case .otlp:
            if isProtobuf { return try OTLPLogsFormat.protobufRecords(body, limits: limits) }
            if contentType.hasPrefix("application/json") { return try OTLPLogsFormat.jsonRecords(body, limits: limits) }
            throw .unsupported("OTLP/HTTP logs are application/x-protobuf or application/json, not \(contentType.prefix(80))")
        }
    }

    public static func isProtobuf(contentType: String) -> Bool {
        let contentType = contentType.lowercased()
        return contentType.hasPrefix("application/x-protobuf") || contentType.hasPrefix("application/protobuf")
    }
}
