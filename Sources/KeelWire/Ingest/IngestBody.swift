/// The ingest endpoints' bodies, whichever format and encoding: `Content-Encoding` is undone within
/// ``IngestLimits``, and the format (``IngestFormat``) checks `Content-Type` and reads the records. No HTTP here, so
/// the fuzz targets drive exactly what a request drives.
public enum IngestBody {
    /// The records of `body` (as sent: compressed or not), or why the request is refused whole.
    public static func decode(
        _ body: [UInt8], format: some IngestFormat, contentType: String?, contentEncoding: String?, limits: IngestLimits
    ) throws(IngestError) -> DecodedRecords {
        let contentType = contentType?.lowercased() ?? ""
        var body = body
        switch contentEncoding?.lowercased() {
        case nil, "", "identity": break
        case "gzip", "x-gzip", "deflate": body = try Decompression.inflate(body, limits: limits)
        case "snappy": body = try Decompression.unsnappy(body, limits: limits)
        case let other?: throw .unsupported("Content-Encoding \(other.prefix(40)) is not supported (gzip, deflate, snappy)")
        }
        return try format.records(body, contentType: contentType, contentEncoding: contentEncoding, limits: limits)
    }

    public static func isProtobuf(contentType: String) -> Bool {
        let contentType = contentType.lowercased()
        return contentType.hasPrefix("application/x-protobuf") || contentType.hasPrefix("application/protobuf")
    }
}
