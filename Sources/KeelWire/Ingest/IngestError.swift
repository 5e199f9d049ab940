public import HTTPTypes

/// Why a request was refused, as the client sees it (a 4xx status and one sentence) and as `/metrics` counts it
/// (`reason`). A request refused whole stores nothing; a record refused alone (``RecordRefusal``) costs only itself.
public struct IngestError: Error, Equatable, CustomStringConvertible {
    public let status: HTTPResponse.Status
    /// A short, stable label: `body_too_large`, `invalid_json`, … (the `reason` of `keel_ingest_rejected_total`).
    public let reason: String
    public let message: String

    public init(_ status: HTTPResponse.Status, _ reason: String, _ message: String) {
        self.status = status
        self.reason = reason
        self.message = message
    }

    public var description: String { "\(status.code) \(reason): \(message)" }

    package static func badRequest(_ reason: String, _ message: String) -> IngestError { .init(.badRequest, reason, message) }
    package static func tooLarge(_ reason: String, _ message: String) -> IngestError { .init(.contentTooLarge, reason, message) }
    package static func unsupported(_ message: String) -> IngestError { .init(.unsupportedMediaType, "unsupported_media_type", message) }
}
