import Foundation
import Hummingbird
import Logging
import Prometheus
import Keel
import KeelStore
import NIOCore
import SwiftProtobuf

/// The three ingest endpoints share one path: credentials, body (size-limited, decompressed within a budget), the
/// format's decoder, the normaliser, then one append. The response (2xx) goes out only after the append has
/// committed; any refusal stores nothing.
extension KeelServer {
    enum IngestFormat: String {
        case ndjson, loki, otlp
    }

    func ingest(_ request: Request, format: IngestFormat) async -> Response {
        let principal: Principal
        do {
            principal = try authenticator.principal(request.headers, needs: .ingest)
        } catch {
            metrics.rejected(reason: error.status == .unauthorized ? "unauthorized" : "forbidden")
            return Self.refusal(error)
        }
        let limits = configuration.limits
        do {
            var body: [UInt8]
            do {
                let buffer = try await request.body.collect(upTo: limits.maxBodyBytes)
                body = Array(buffer.readableBytesView)
            } catch {
                throw IngestError.tooLarge("body_too_large", "the body is larger than \(limits.maxBodyBytes) bytes")
            }
            metrics.receivedBytes.increment(by: Int64(body.count))
            let contentType = request.headers[.contentType]?.lowercased() ?? ""
            let isProtobuf = contentType.hasPrefix("application/x-protobuf") || contentType.hasPrefix("application/protobuf")
            switch request.headers[.contentEncoding]?.lowercased() {
            case nil, "", "identity": break
            case "gzip", "x-gzip", "deflate": body = try Decompression.inflate(body, limits: limits)
            case "snappy": body = try Decompression.unsnappy(body, limits: limits)
            case let other?: throw IngestError.unsupported("Content-Encoding \(other) is not supported (gzip, deflate, snappy)")
            }
            let now = Timestamp.now().microsecondsSinceEpoch
            let records: [IncomingRecord]
            switch format {
            case .ndjson:
                // Text of any kind is read as NDJSON (curl's default form type included); binary formats are refused.
                guard !isProtobuf, !contentType.hasPrefix("multipart/"), !contentType.hasPrefix("application/octet-stream")
                else { throw IngestError.unsupported("send NDJSON as application/x-ndjson, not \(contentType)") }
                records = try NDJSONFormat.records(body, limits: limits)
            case .loki:
                if isProtobuf {
                    // Loki's protobuf pushes are snappy-compressed blocks without a Content-Encoding header.
                    if request.headers[.contentEncoding] == nil { body = try Decompression.unsnappy(body, limits: limits) }
                    records = try LokiPushFormat.protobufRecords(body, limits: limits)
                } else if contentType.isEmpty || contentType.hasPrefix("application/json") {
                    records = try LokiPushFormat.jsonRecords(body, limits: limits)
                } else {
                    throw IngestError.unsupported("Loki pushes are application/json or application/x-protobuf, not \(contentType)")
                }
            case .otlp:
                if isProtobuf {
                    records = try OTLPLogsFormat.protobufRecords(body, limits: limits)
                } else if contentType.hasPrefix("application/json") {
                    records = try OTLPLogsFormat.jsonRecords(body, limits: limits)
                } else {
                    throw IngestError.unsupported("OTLP/HTTP logs are application/x-protobuf or application/json, not \(contentType)")
                }
            }
            // Every record is made canonical before anything is stored: one bad record refuses the request.
            let tenant = principal.tenant
            let normalizer = self.normalizer
            let events = try normalizer.normalize(records, tenant: tenant, now: now)
            let store = self.store
            let result = try await blocking { try store.append(events) }
            if result.stored > 0 { arrivals.notify(tenant: tenant) }
            metrics.ingested(result.stored, format: format.rawValue, duplicates: result.duplicates)
            return acknowledgement(format: format, protobuf: isProtobuf, result: result)
        } catch let error as IngestError {
            metrics.rejected(reason: error.reason)
            logger.warning(
                "ingest refused", metadata: ["reason": "\(error.reason)", "status": "\(error.status.code)", "tenant_id": "\(principal.tenant)"])
            return Self.error(error.status, error.reason, error.message)
        } catch {
            metrics.rejected(reason: "store_error")
            logger.error("ingest failed", metadata: ["error": "\(error)", "tenant_id": "\(principal.tenant)"])
            return Self.error(.serviceUnavailable, "store_error", "the events could not be stored; retry: nothing was acknowledged")
        }
    }

    private func acknowledgement(format: IngestFormat, protobuf: Bool, result: AppendResult) -> Response {
        switch format {
        case .ndjson:
            return Self.json(.ok, "{\"stored\":\(result.stored),\"duplicates\":\(result.duplicates)}\n")
        case .loki:
            return Response(status: .noContent)
        case .otlp:
            // A full success is an empty ExportLogsServiceResponse, in the request's encoding.
            if protobuf {
                let bytes: [UInt8] = (try? Opentelemetry_Proto_Logs_V1_ExportLogsServiceResponse().serializedBytes()) ?? []
                return Response(
                    status: .ok, headers: [.contentType: "application/x-protobuf"],
                    body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
            }
            return Self.json(.ok, "{}")
        }
    }
}
