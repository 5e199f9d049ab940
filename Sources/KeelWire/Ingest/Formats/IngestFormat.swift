public import HTTPTypes

/// One wire format `keel serve` ingests: which bodies it reads, how it reads them into records, and how it answers.
///
/// Each format has a folder of its own under `Formats/` with the same files: `<Name>Format.swift` (this
/// conformance: content types, dispatch, the answer), `<Name>Records.swift` (the body into ``IncomingRecord``s),
/// and the generated code of its protobuf schema where it has one. A new format (Elasticsearch bulk, syslog …) is a
/// new folder of the same shape and one route.
public protocol IngestFormat: Sendable {
    /// Its name in metrics and logs: `ndjson`, `loki`, `otlp`.
    var name: String { get }

    /// The records of a body already decompressed by its `Content-Encoding`; `contentType` is lower case (empty when
    /// not sent) and `contentEncoding` is what the request said (Loki's protobuf is snappy without saying so).
    func records(
        _ body: [UInt8], contentType: String, contentEncoding: String?, limits: IngestLimits
    ) throws(IngestError) -> DecodedRecords

    /// The answer once at least one record was stored (or found already stored): exactly what was stored, and what
    /// was refused, in the format's own terms. (A request of which nothing was stored is answered the same way for
    /// every format: ``IngestAcknowledgement/init(refusedWhole:all:)``.)
    func acknowledgement(contentType: String, stored: Int, duplicates: Int, refused: [RecordRefusal]) -> IngestAcknowledgement
}

extension IngestFormat where Self == NDJSONFormat {
    /// `POST /v1/events`.
    public static var ndjson: NDJSONFormat { NDJSONFormat() }
}

extension IngestFormat where Self == LokiPushFormat {
    /// `POST /loki/api/v1/push`.
    public static var loki: LokiPushFormat { LokiPushFormat() }
}

extension IngestFormat where Self == OTLPLogsFormat {
    /// `POST /v1/logs`.
    public static var otlp: OTLPLogsFormat { OTLPLogsFormat() }
}
