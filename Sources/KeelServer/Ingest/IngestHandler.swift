import Foundation
import Hummingbird
import Logging
import Prometheus
import Keel
import KeelWire
import KeelStore
import NIOCore

/// The three ingest endpoints share one path (credentials were checked by ``AuthenticationMiddleware``): body (size-limited), ``IngestBody`` (decompression
/// within a budget, the format's decoder), the normaliser, then one append. The response goes out only after the
/// append has committed, and acknowledges exactly what was stored; records refused alone are listed with their
/// reasons, and a request refused whole stores nothing.
extension KeelServer {
    func ingest(_ request: Request, _ principal: Principal, format: some IngestFormat) async -> Response {
        let limits = configuration.limits
        let tenant = principal.tenant
        do {
            let body = try await collectBody(request, upTo: limits.maxBodyBytes)
            metrics.receivedBytes.increment(by: Int64(body.count))
            let contentType = request.headers[.contentType]
            let decoded = try IngestBody.decode(
                body, format: format, contentType: contentType, contentEncoding: request.headers[.contentEncoding], limits: limits)
            let now = Timestamp.now().microsecondsSinceEpoch
            let normalized = normalizer.normalize(
                decoded.records, tenant: tenant, now: now, oldest: retentionHorizon(tenant: tenant, now: now),
                readingFields: store.appendReadsEventFields)
            let refused = decoded.refused + normalized.refused
            for (reason, count) in Dictionary(refused.map { ($0.reason, 1) }, uniquingKeysWith: +) {
                metrics.rejected(reason: reason, count: count)
            }
            if !refused.isEmpty {
                logger.warning(
                    "ingest refused records",
                    metadata: [
                        "reason": "\(refused[0].reason)", "refused": "\(refused.count)", "stored": "\(normalized.events.count)",
                        "tenant_id": "\(tenant)",
                    ])
            }
            var result = AppendResult(stored: 0, duplicates: 0)
            if !normalized.events.isEmpty {
                let store = self.store
                let events = normalized.events
                result = try await blocking { try store.append(events) }
                if result.stored > 0 { arrivals.notify(tenant: tenant) }
                metrics.ingested(result.stored, format: format.name, duplicates: result.duplicates)
            }
            let answer = IngestAcknowledgement(
                format: format, contentType: contentType ?? "", stored: result.stored,
                duplicates: result.duplicates, refused: refused)
            var headers = HTTPFields()
            if let type = answer.contentType { headers[.contentType] = type }
            return Response(status: answer.status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: answer.body)))
        } catch let error as IngestError {
            metrics.rejected(reason: error.reason)
            logger.warning(
                "ingest refused", metadata: ["reason": "\(error.reason)", "status": "\(error.status.code)", "tenant_id": "\(tenant)"])
            return Self.error(error.status, error.reason, error.message)
        } catch {
            metrics.rejected(reason: StoreFailure.isStorageFull(error) ? "storage_full" : "store_error")
            return storeFailure(error, refusing: "the events could not be stored; retry: nothing was acknowledged")
        }
    }

    /// The request's body, refused when larger than `limit` (413) or not received within
    /// ``ServerConfiguration/bodyTimeout`` (408).
    func collectBody(_ request: Request, upTo limit: Int) async throws -> [UInt8] {
        let timeout = configuration.bodyTimeout
        return try await withThrowingTaskGroup(of: [UInt8]?.self) { group in
            group.addTask {
                // Each part copied once, into room for the whole body when its length is given.
                var bytes: [UInt8] = []
                if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > 0, length <= limit {
                    bytes.reserveCapacity(length)
                }
                do {
                    for try await part in request.body {
                        guard part.readableBytes <= limit - bytes.count else {
                            throw IngestError.tooLarge("body_too_large", "the body is larger than \(limit) bytes")
                        }
                        part.withUnsafeReadableBytes { bytes.append(contentsOf: $0) }
                    }
                } catch is CancellationError {
                    return nil
                }
                return bytes
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let body = try await group.next() ?? nil else {
                throw IngestError(.requestTimeout, "body_timeout", "the body did not arrive within \(timeout.components.seconds) s")
            }
            return body
        }
    }

    /// The oldest time an event of `tenant` may carry to be stored: its retention horizon.
    func retentionHorizon(tenant: String, now: Int64) -> Int64 {
        let days = Int64(clamping: configuration.retention(for: tenant))
        let (span, overflow) = days.multipliedReportingOverflow(by: 86_400_000_000)
        let (horizon, before) = now.subtractingReportingOverflow(span)
        return overflow || before ? .min : horizon
    }
}
