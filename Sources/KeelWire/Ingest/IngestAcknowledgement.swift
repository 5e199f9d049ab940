public import HTTPTypes
import Keel
import SwiftProtobuf

/// What an ingest request is answered once its events are stored: exactly what was stored, and each record refused
/// with its place and reason, in the format's own terms.
///
/// - NDJSON: `200 {"stored":N,"duplicates":D,"refused":R,"errors":[{"line":3,"reason":"…","error":"…"}]}`.
/// - Loki: `204` when everything was stored; `400` naming what was discarded while keeping the rest, as Loki does.
/// - OTLP: `200` with `partial_success` (`rejected_log_records`, `error_message`), in the request's encoding.
///
/// A request of which nothing could be stored but something was refused is a `400` (the first refusal's reason),
/// whatever the format: a client that sent one bad record learns so from the status alone.
public struct IngestAcknowledgement: Sendable {
    public var status: HTTPResponse.Status
    public var contentType: String?
    public var body: [UInt8]

    /// At most this many refusals are listed one by one (the count is always whole).
    public static let listedRefusals = 100

    public init(format: IngestFormat, protobuf: Bool, stored: Int, duplicates: Int, refused: [RecordRefusal]) {
        let refused = refused.sorted { $0.place < $1.place }
        if stored + duplicates == 0, let first = refused.first {
            self.init(refusedWhole: first, all: refused)
            return
        }
        switch format {
        case .ndjson:
            var members: [(key: String, value: JSONValue)] = [
                ("stored", .number(String(stored))), ("duplicates", .number(String(duplicates))),
            ]
            if !refused.isEmpty {
                members.append(("refused", .number(String(refused.count))))
                members.append(("errors", Self.list(refused)))
            }
            self.init(status: .ok, json: .object(members))
        case .loki:
            guard let first = refused.first else {
                self.init(status: .noContent, contentType: nil, body: [])
                return
            }
            let message = "\(refused.count) of \(refused.count + stored + duplicates) entries were not stored; the rest were"
            self.init(
                status: .badRequest,
                json: .object([
                    ("error", .string("\(message) (first: \(first))")), ("reason", .string(first.reason)),
                    ("refused", .number(String(refused.count))), ("errors", Self.list(refused)),
                ]))
        case .otlp:
            var response = Opentelemetry_Proto_Logs_V1_ExportLogsServiceResponse()
            if let first = refused.first {
                response.partialSuccess.rejectedLogRecords = Int64(refused.count)
                response.partialSuccess.errorMessage = "\(refused.count) log records were not stored (first: \(first))"
            }
            if protobuf {
                self.init(status: .ok, contentType: "application/x-protobuf", body: (try? response.serializedBytes()) ?? [])
            } else {
                let text = (try? response.jsonString()) ?? "{}"
                self.init(status: .ok, contentType: "application/json", body: Array(text.utf8))
            }
        }
    }

    /// Nothing stored: the first refusal's status and reason, and the list.
    private init(refusedWhole first: RecordRefusal, all refused: [RecordRefusal]) {
        self.init(
            status: .badRequest,
            json: .object([
                ("error", .string(refused.count == 1 ? "\(first)" : "none of the \(refused.count) records was stored (first: \(first))")),
                ("reason", .string(first.reason)), ("refused", .number(String(refused.count))), ("errors", Self.list(refused)),
            ]))
    }

    private init(status: HTTPResponse.Status, json: JSONValue) {
        self.init(status: status, contentType: "application/json", body: Array((json.jsonText + "\n").utf8))
    }

    public init(status: HTTPResponse.Status, contentType: String?, body: [UInt8]) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }

    private static func list(_ refused: [RecordRefusal]) -> JSONValue {
        .array(
            refused.prefix(listedRefusals).map { refusal in
                .object([
                    (refusal.place.isLine ? "line" : "record", .number(String(refusal.place.number))),
                    ("reason", .string(refusal.reason)), ("error", .string(refusal.message)),
                ])
            })
    }
}
