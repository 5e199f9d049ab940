import Keel
import Logging

/// Workload W1 of shared/bench/STANDARD.md: `request handled` at INFO with ten fields, one of which (request_id,
/// 26 characters) differs per event.
public enum W1 {
    public static let message: Logger.Message = "request handled"

    /// The request id of event `n`: a zero-padded 26-digit counter.
    @inline(__always)
    public static func requestID(_ n: Int) -> String {
        String(unsafeUninitializedCapacity: 26) { buffer in
            var v = n
            for i in stride(from: 25, through: 0, by: -1) {
                buffer[i] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: v % 10)
                v /= 10
            }
            return 26
        }
    }

    /// The ten W1 fields as swift-log metadata, the way an application writes them.
    @inline(__always)
    public static func metadata(requestID: String) -> Logger.Metadata {
        [
            "request_id": .string(requestID),
            "tenant_id": "tenant_42",
            "route": "/v1/chat/completions",
            "status": .stringConvertible(200),
            "duration_ms": .stringConvertible(12.5),
            "user_id": "user_789",
            "model": "gpt-4o-mini",
            "tokens_prompt": .stringConvertible(512),
            "tokens_response": .stringConvertible(128),
            "retryable": .stringConvertible(false),
        ]
    }

    /// Logs event `n` of the workload.
    @inline(__always)
    public static func log(_ logger: Logger, _ n: Int) {
        logger.info(message, metadata: metadata(requestID: requestID(n)))
    }

    /// A Keel pipeline writing to `path` through the buffered file sink (no console); synchronous unless told.
    public static func keelPipeline(
        path: String, redaction: RedactionPolicy? = .default, delivery: Pipeline.Delivery = .synchronous,
        rotation: FileRotation? = nil
    ) throws -> Pipeline {
        var config = KeelConfiguration()
        config.delivery = delivery
        config.fileRotation = rotation
        config.redaction = redaction
        config.console = nil
        config.file = path
        config.service = "w1"
        config.host = "bench"
        return try Keel.makePipeline(config)
    }

    public static func keelLogger(_ pipeline: Pipeline) -> Logger {
        Logger(label: "w1") { KeelLogHandler(label: $0, pipeline: pipeline) }
    }
}

extension W1 {
    /// Event `n` of W1 as the library writes it (one canonical line), for `tenant` at `microseconds` since the epoch:
    /// what the server benchmarks (W2, W3) send and store. Its event id is a UUIDv7 of that millisecond and `n`.
    public static func canonicalLine(_ n: Int, tenant: String, at microseconds: Int64) -> String {
        func hex(_ value: UInt64, _ digits: Int) -> String {
            let text = String(value, radix: 16)
            return String(repeating: "0", count: max(0, digits - text.count)) + text
        }
        let millis = UInt64(microseconds / 1000)
        let id = "\(hex(millis >> 16, 8))-\(hex(millis & 0xFFFF, 4))-7000-8000-\(hex(UInt64(n), 12))"
        return "{\"timestamp\":\"\(Timestamp(microsecondsSinceEpoch: microseconds))\",\"level\":\"INFO\",\"message\":\"request handled\","
            + "\"event\":\"log\",\"logger\":\"api\",\"service\":\"api\",\"host\":\"web-1\",\"pid\":4242,\"schema_version\":1,"
            + "\"event_id\":\"\(id)\",\"storage_class\":\"ops\",\"request_id\":\"\(requestID(n))\",\"tenant_id\":\"\(tenant)\","
            + "\"user_id\":\"user_789\",\"route\":\"/v1/chat/completions\",\"status\":200,\"duration_ms\":12.5,"
            + "\"model\":\"gpt-4o-mini\",\"tokens_prompt\":512,\"tokens_response\":128,\"retryable\":false}"
    }
}
