public import Keel
public import Logging

/// Turns what a worker prints into events, so that nothing a worker prints can reach the log unredacted or
/// disguised as something else.
///
/// - A line holding a JSON object becomes one `worker.output` event: its `message` (or `msg`) is the event's
///   message, and its other members are merged as metadata — typed schema fields such as `duration_ms`,
///   `tenant_id` or `error_code` land in their places, the rest under `context` — except the fields the
///   supervisor owns (``lockedFields``: `event`, `level`, `request_id`, `service`, `storage_class`, the worker
///   fields …). Those the worker tried to set are kept under `context.worker_fields`, never in their canonical
///   places. Everything goes through redaction like any event.
/// - Any other line — plain text, a stack trace, a secret — is recorded by its stream and length only: its text is
///   never written.
public struct WorkerOutput: Sendable {
    public enum Stream: String, Sendable {
        case stdout, stderr
    }

    /// Fields a worker's JSON line cannot set.
    public static let lockedFields: Set<String> = [
        "timestamp", "level", "event", "logger", "component", "service", "env", "version", "host", "pid",
        "schema_version", "event_id", "storage_class", "truncated", "request_id", "trace_id", "span_id",
        "parent_span_id", "worker_id", "worker_state", "restart_count", "backoff_ms", "exit_code", "maintenance_mode",
        "source", "redacted", "seq", "prev_hash", "hash",
    ]
    static let messageKeys: Set<String> = ["message", "msg"]

    /// The longest line kept for parsing; longer lines are recorded by length only.
    public static let maximumLineBytes = 64 * 1024

    let workerID: String
    let logger: Logger

    /// What one line was.
    enum Kind: Equatable {
        case json
        case ready
        case other
    }

    /// Writes the event for one line; `length` is the line's full length (it may have been cut to
    /// ``maximumLineBytes``).
    @discardableResult
    func handle(_ line: ArraySlice<UInt8>, length: Int, stream: Stream) -> Kind {
        var line = line
        if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
        if length <= Self.maximumLineBytes, line.first(where: { $0 != 0x20 && $0 != 0x09 }) == UInt8(ascii: "{"),
            case .object(let members)? = try? line.withUnsafeBytes({ try JSONParser.parse($0) })
        {
            return merge(members, stream: stream)
        }
        logger.log(
            EventCatalogue.workerOutput, "worker printed a line that is not JSON (not recorded)",
            level: stream == .stderr ? .warning : .info,
            metadata: [
                "worker_id": .string(workerID), "stream": .string(stream.rawValue), "bytes": .stringConvertible(length),
            ])
        return .other
    }

    private func merge(_ members: [(key: String, value: JSONValue)], stream: Stream) -> Kind {
        var message: String?
        var metadata: Logger.Metadata = [:]
        var locked: Logger.Metadata = [:]
        for (key, value) in members {
            if message == nil, Self.messageKeys.contains(key), let text = value.stringValue {
                message = text
            } else if Self.lockedFields.contains(key) {
                if let converted = value.metadataValue { locked[key] = converted }
            } else if let converted = value.metadataValue {
                metadata[key] = converted
            }
        }
        if case .string(EventCatalogue.workerReady.name)? = locked["event"] { return .ready }
        if !locked.isEmpty { metadata["worker_fields"] = .dictionary(locked) }
        metadata["worker_id"] = .string(workerID)
        metadata["stream"] = .string(stream.rawValue)
        logger.log(
            EventCatalogue.workerOutput, "\(message ?? "")", level: stream == .stderr ? .warning : .info,
            metadata: metadata)
        return .json
    }
}
