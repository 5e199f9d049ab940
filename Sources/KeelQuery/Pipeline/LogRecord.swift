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
///
/// The line is read with the core's ``JSONReader`` once, for the members' places; no tree is built unless `| json`
/// asks for one.
struct LogRecord {
    /// Nanoseconds since the epoch.
    var timestamp: Int64
    var line: String
    var labels: [String: String]
    /// Fields that are not labels, in the line's order (a later duplicate wins on lookup).
    var metadata: [(name: String, value: String)]

    /// The canonical fields that are labels.
    static let streamLabelNames: Set<String> = [
        "service", "env", "level", "event", "logger", "component", "storage_class", "method", "route", "status",
        "error_code", "provider", "model", "worker_state", "surface", "app_id", "project_id",
    ]

    /// `scratch` holds the members of one line at a time; the caller keeps it from record to record.
    init(_ event: StoredEvent, scratch: inout [JSONReader.Member]) {
        timestamp = event.timestamp &* 1000
        line = event.line
        labels = [:]
        metadata = []
        var text = event.line
        var members = scratch
        text.withUTF8 { bytes in
            members.removeAll(keepingCapacity: true)
            guard (try? JSONReader.members(of: bytes, maxDepth: 128, into: &members)) != nil else {
                metadata.append(("message", event.line))
                return
            }
            for member in members {
                let name = Self.key(member, bytes)
                if member.kind == .object, name == "context" {
                    var inner: [JSONReader.Member] = []
                    let object = UnsafeBufferPointer(rebasing: bytes[member.value])
                    guard (try? JSONReader.members(of: object, maxDepth: 128, into: &inner)) != nil else { continue }
                    for field in inner {
                        if let value = Self.scalar(field, object) { metadata.append((Self.labelName(Self.key(field, object)), value)) }
                    }
                    continue
                }
                guard let value = Self.scalar(member, bytes) else { continue }
                if Self.streamLabelNames.contains(name) { labels[name] = value } else { metadata.append((name, value)) }
            }
        }
        scratch = members
    }

    /// A label or, failing that, a metadata field.
    func value(of name: String) -> String? {
        if let label = labels[name] { return label }
        return metadata.last { $0.name == name }?.value
    }

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

    /// The whole event as a tree, for `| json`.
    var fields: [(key: String, value: JSONValue)] {
        if case .object(let members)? = try? JSONParser.parse(line, options: .init(maxDepth: 128, repairUTF8: true)) { return members }
        return [("message", .string(line))]
    }

    /// A member's key as text.
    private static func key(_ member: JSONReader.Member, _ bytes: UnsafeBufferPointer<UInt8>) -> String {
        guard member.keyEscaped else { return String(decoding: UnsafeBufferPointer(rebasing: bytes[member.key]), as: UTF8.self) }
        let reader = JSONReader(bytes, maxDepth: 1, repairUTF8: true)
        return reader.text(of: JSONReader.StringToken(content: member.key, escaped: true, validUTF8: true))
    }

    /// A member's value as text when it is a string, a number or a boolean.
    private static func scalar(_ member: JSONReader.Member, _ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        switch member.kind {
        case .string:
            let content = (member.value.lowerBound + 1)..<(member.value.upperBound - 1)
            guard member.valueEscaped else { return String(decoding: UnsafeBufferPointer(rebasing: bytes[content]), as: UTF8.self) }
            let reader = JSONReader(bytes, maxDepth: 1, repairUTF8: true)
            return reader.text(of: JSONReader.StringToken(content: content, escaped: true, validUTF8: true))
        case .number, .bool:
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[member.value]), as: UTF8.self)
        case .null, .object, .array:
            return nil
        }
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
