import HTTPTypes
import Keel
import SwiftProtobuf

/// `POST /v1/logs`: OTLP/HTTP logs (``OTLPLogRecords``), protobuf or JSON.
///
/// Answers `200` with `partial_success` (`rejected_log_records`, `error_message`), in the request's encoding.
public struct OTLPLogsFormat: IngestFormat {
    public var name: String { "otlp" }

    public init() {}

    public func records(
        _ body: [UInt8], contentType: String, contentEncoding: String?, limits: IngestLimits
    ) throws(IngestError) -> DecodedRecords {
        if IngestBody.isProtobuf(contentType: contentType) { return try OTLPLogRecords.protobufRecords(body, limits: limits) }
        if contentType.hasPrefix("application/json") { return try OTLPLogRecords.jsonRecords(body, limits: limits) }
        throw .unsupported("OTLP/HTTP logs are application/x-protobuf or application/json, not \(contentType.prefix(80))")
    }

    public func acknowledgement(contentType: String, stored: Int, duplicates: Int, refused: [RecordRefusal]) -> IngestAcknowledgement {
        var response = Opentelemetry_Proto_Logs_V1_ExportLogsServiceResponse()
        if let first = refused.first {
            response.partialSuccess.rejectedLogRecords = Int64(refused.count)
            response.partialSuccess.errorMessage = "\(refused.count) log records were not stored (first: \(first))"
        }
        if IngestBody.isProtobuf(contentType: contentType) {
            return IngestAcknowledgement(status: .ok, contentType: "application/x-protobuf", body: (try? response.serializedBytes()) ?? [])
        }
        let text = (try? response.jsonString()) ?? "{}"
        return IngestAcknowledgement(status: .ok, contentType: "application/json", body: Array(text.utf8))
    }
}
