import Keel
import KeelStore

/// One stored event as a log pipeline sees it: its line, its labels, and the fields a filter may also read.
///
/// - Labels (what identifies a stream, and what results are grouped by) are the canonical schema's low-cardinality
///   fields: `service`, `env`, `level`, `route`, `status`, `error_code` … (``streamLabelNames``).
/// - Every other top-level field the event has (`request_id`, `duration_ms`, `user_id` …) and every plain member of
///   its `context` (where ingest keeps a Loki stream's own labels) is metadata: label filters, `unwrap` and `by (…)`
///   read it, but it does not split results into streams, so that a million request ids are not a million series.
/// - `| json` and `| logfmt` add what they extract to the labels, as Loki's parsers do.
struct LogRecord {
    /// Nanoseconds since the epoch.
    var timestamp: Int64
    var line: String
    var labels: [String: String]
    var metadata: [String: String]
    /// The canonical event, for `| json`.
    var fields: [(key: String, value: JSONValue)]

    /// The canonical fields that are labels.
    static let streamLabelNames: Set<String> = [
        "service", "env", "level", "event", "logger", "component", "storage_class", "method", "route", "status",
        "error_code", "provider", "model", "worker_state", "surface", "app_id", "project_id",
    ]

    init(_ event: StoredEvent) {
        timestamp = event.timestamp &* 1000
        line = event.line
        labels = [:]
        metadata = [:]
        if case .object(let members)? = try? JSONParser.parse(event.line, options: .init(maxDepth: 128, repairUTF8: true)) {
            fields = members
        } else {
            fields = [("message", .string(event.line))]
        }
        for (key, value) in fields {
            if key == "context", case .object(let context) = value {
                for (name, inner) in context {
                    if let text = Self.scalarText(inner) { metadata[Self.labelName(name)] = text }
                }
                continue
            }
            guard let text = Self.scalarText(value) else { continue }
            if Self.streamLabelNames.contains(key) { labels[key] = text } else { metadata[key] = text }
        }
    }

    /// A label or, failing that, a metadata field.
    func value(of name: String) -> String? { labels[name] ?? metadata[name] }

    /// The labels named by `grouping` (read from metadata too), or every label when there is no grouping.
    func seriesLabels(_ grouping: Grouping?) -> LabelSet {
        guard let grouping else { return LabelSet(labels) }
        if grouping.without {
            return LabelSet(labels.filter { !grouping.labels.contains($0.key) })
        }
        var picked: [String: String] = [:]
        for name in grouping.labels { if let value = value(of: name) { picked[name] = value } }
        return LabelSet(picked)
    }

    /// The text of a string, number or boolean; `nil` for objects, arrays and null.
    static func scalarText(_ value: JSONValue) -> String? {
        switch value {
        case .string(let s): s
        case .number(let n): n
        case .bool(let b): b ? "true" : "false"
        case .null, .object, .array: nil
        }
    }

    /// A field name as a label name: what Loki allows (`[a-zA-Z_][a-zA-Z0-9_]*`), other characters as `_`.
    static func labelName(_ name: String) -> String {
        var out = ""
        for (i, scalar) in name.unicodeScalars.enumerated() {
            let ok = (scalar >= "a" && scalar <= "z") || (scalar >= "A" && scalar <= "Z") || scalar == "_" || (i > 0 && scalar >= "0" && scalar <= "9")
            out.unicodeScalars.append(ok ? scalar : "_")
        }
        return out
    }
}
