public import HTTPTypes
import Keel

/// What an ingest request is answered once its events are stored: exactly what was stored, and each record refused
/// with its place and reason, in the format's own terms.
///
/// Each format says how (``NDJSONFormat``, ``LokiPushFormat``, ``OTLPLogsFormat``).
///
/// A request of which nothing could be stored but something was refused is a `400` (the first refusal's reason),
/// whatever the format: a client that sent one bad record learns so from the status alone.
public struct IngestAcknowledgement: Sendable {
    public var status: HTTPResponse.Status
    public var contentType: String?
    public var body: [UInt8]

    /// At most this many refusals are listed one by one (the count is always whole).
    public static let listedRefusals = 100

    /// The answer to a request whose records were all decoded, normalised and appended: the format's own
    /// (``IngestFormat/acknowledgement(contentType:stored:duplicates:refused:)``), or, when nothing was stored but
    /// something was refused, the first refusal's.
    public init(
        format: some IngestFormat, contentType: String, stored: Int, duplicates: Int, refused: [RecordRefusal]
    ) {
        let refused = refused.sorted { $0.place < $1.place }
        if stored + duplicates == 0, let first = refused.first {
            self.init(refusedWhole: first, all: refused)
        } else {
            self = format.acknowledgement(contentType: contentType.lowercased(), stored: stored, duplicates: duplicates, refused: refused)
        }
    }

    /// Nothing stored: the first refusal's status and reason, and the list.
    init(refusedWhole first: RecordRefusal, all refused: [RecordRefusal]) {
        self.init(
            status: .badRequest,
            json: .object([
                ("error", .string(refused.count == 1 ? "\(first)" : "none of the \(refused.count) records was stored (first: \(first))")),
                ("reason", .string(first.reason)), ("refused", .number(String(refused.count))), ("errors", Self.list(refused)),
            ]))
    }

    init(status: HTTPResponse.Status, json: JSONValue) {
        self.init(status: status, contentType: "application/json", body: Array((json.jsonText + "\n").utf8))
    }

    public init(status: HTTPResponse.Status, contentType: String?, body: [UInt8]) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }

    static func list(_ refused: [RecordRefusal]) -> JSONValue {
        .array(
            refused.prefix(listedRefusals).map { refusal in
                .object([
                    (refusal.place.isLine ? "line" : "record", .number(String(refusal.place.number))),
                    ("reason", .string(refusal.reason)), ("error", .string(refusal.message)),
                ])
            })
    }
}
