import HTTPTypes
import Keel

/// `POST /v1/events`: one JSON object per line — Keel's own lines, or any structured logger's.
///
/// Answers `200 {"stored":N,"duplicates":D,"refused":R,"errors":[{"line":3,"reason":"…","error":"…"}]}`.
public struct NDJSONFormat: IngestFormat {
    public var name: String { "ndjson" }

    public init() {}

    public func records(
        _ body: [UInt8], contentType: String, contentEncoding: String?, limits: IngestLimits
    ) throws(IngestError) -> DecodedRecords {
        // Text of any kind is read as NDJSON (curl's default form type included); binary formats are refused.
        guard !IngestBody.isProtobuf(contentType: contentType), !contentType.hasPrefix("multipart/"),
            !contentType.hasPrefix("application/octet-stream")
        else { throw .unsupported("send NDJSON as application/x-ndjson, not \(contentType.prefix(80))") }
        return try NDJSONRecords.records(body, limits: limits)
    }

    public func acknowledgement(contentType: String, stored: Int, duplicates: Int, refused: [RecordRefusal]) -> IngestAcknowledgement {
        var members: [(key: String, value: JSONValue)] = [
            ("stored", .number(String(stored))), ("duplicates", .number(String(duplicates))),
        ]
        if !refused.isEmpty {
            members.append(("refused", .number(String(refused.count))))
            members.append(("errors", IngestAcknowledgement.list(refused)))
        }
        return IngestAcknowledgement(status: .ok, json: .object(members))
    }
}
