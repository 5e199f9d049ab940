#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
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
/// The line is read with the core's ``JSONReader`` once, for the places of its members; a value becomes text only
/// when a matcher, a filter or a grouping asks for it (a metric query over a day reads one or two fields of each of
/// a hundred thousand lines), and no tree is built unless `| json` asks for one.
struct LogRecord {
    /// Nanoseconds since the epoch.
    var timestamp: Int64
    /// The line as it stands: the stored line until `line_format` replaces it.
    var line: String
    /// The stored line, which `fields` locates members in.
    private let stored: String
    /// The stored line's scalar members in its order, `context`'s own members in the place of `context`; empty when
    /// the line is not a JSON object (then it is all `message`).
    private let fields: [Field]
    private let isObject: Bool
    /// Labels the pipeline set (a value) or dropped (`nil`), over the stored line's.
    private var changes: [String: String?] = [:]

    private struct Field {
        var member: JSONReader.Member
        /// A member of `context`: its name is ``LogRecord/labelName(_:)`` of its key, and it is never a label.
        var inContext: Bool
    }

    /// The canonical fields that are labels.
    static let streamLabelNames: Set<String> = [
        "service", "env", "level", "event", "logger", "component", "storage_class", "method", "route", "status",
        "error_code", "provider", "model", "worker_state", "surface", "app_id", "project_id",
    ]

    /// A record of `line`, stored at `timestamp` (nanoseconds). `scratch` holds the line's members while it is read;
    /// a scan keeps it from line to line.
    init(timestamp: Int64, line bytes: UnsafeBufferPointer<UInt8>, scratch members: inout [JSONReader.Member]) {
        self.timestamp = timestamp
        members.removeAll(keepingCapacity: true)
        // Read strictly (no repair): a line that passes is valid UTF-8, so its text has the same bytes and the
        // members' places hold in it.
        isObject = (try? JSONReader.members(of: bytes, maxDepth: 128, into: &members)) != nil
        var fields: [Field] = []
        if isObject {
            fields.reserveCapacity(members.count)
            for member in members {
                if member.kind == .object, Self.keyEquals(member, bytes, "context") {
                    var inner: [JSONReader.Member] = []
                    let object = UnsafeBufferPointer(rebasing: bytes[member.value])
                    guard (try? JSONReader.members(of: object, maxDepth: 128, into: &inner)) != nil else { continue }
                    for var field in inner where field.kind.isScalar {
                        let offset = member.value.lowerBound
                        field.key = (field.key.lowerBound + offset)..<(field.key.upperBound + offset)
                        field.value = (field.value.lowerBound + offset)..<(field.value.upperBound + offset)
                        fields.append(Field(member: field, inContext: true))
                    }
                } else if member.kind.isScalar {
                    fields.append(Field(member: member, inContext: false))
                }
            }
        }
        self.fields = fields
        stored = String(decoding: bytes, as: UTF8.self)
        line = stored
    }

    /// A record of an event the store handed back whole (a live tail's page).
    init(_ event: StoredEvent) {
        var line = event.line
        var scratch: [JSONReader.Member] = []
        self = line.withUTF8 { LogRecord(timestamp: event.timestamp &* 1000, line: $0, scratch: &scratch) }
    }

    // MARK: Reading

    /// A label (what the pipeline set, or the stored line's) or, failing that, a metadata field.
    func value(of name: String) -> String? { label(name) ?? metadata(name) }

    /// A label: what the pipeline set, else a stream label of the stored line.
    func label(_ name: String) -> String? {
        if !changes.isEmpty, let change = changes[name] { return change }
        guard Self.streamLabelNames.contains(name) else { return nil }
        return withStored { bytes in
            for field in fields.reversed() where !field.inContext && Self.keyEquals(field.member, bytes, name) {
                return Self.text(field.member, bytes)
            }
            return nil
        }
    }

    /// A field that is not a label, the last of that name: a top-level member or one of `context`'s.
    func metadata(_ name: String) -> String? {
        guard isObject else { return name == "message" ? stored : nil }
        let isLabelName = Self.streamLabelNames.contains(name)
        return withStored { bytes in
            for field in fields.reversed() {
                if field.inContext {
                    if Self.labelName(Self.key(field.member, bytes)) == name { return Self.text(field.member, bytes) }
                } else if !isLabelName, Self.keyEquals(field.member, bytes, name) {
                    return Self.text(field.member, bytes)
                }
            }
            return nil
        }
    }

    /// The names of `context`'s members, as labels name them: where ingest keeps a Loki stream's own labels (`job`,
    /// `filename` …), which label browsers list beside the stream labels.
    var contextNames: [String] {
        withStored { bytes in fields.filter(\.inContext).map { Self.labelName(Self.key($0.member, bytes)) } }
    }

    /// The last member of `context` named `name` (as labels name them).
    func contextValue(_ name: String) -> String? {
        withStored { bytes in
            for field in fields.reversed() where field.inContext && Self.labelName(Self.key(field.member, bytes)) == name {
                return Self.text(field.member, bytes)
            }
            return nil
        }
    }

    /// Every label: the stored line's stream labels, with what the pipeline set or dropped.
    var labels: [String: String] {
        var labels: [String: String] = [:]
        withStored { bytes in
            for field in fields where !field.inContext {
                if let name = Self.streamLabelName(field.member, bytes) { labels[name] = Self.text(field.member, bytes) }
            }
        }
        for (name, change) in changes { labels[name] = change }
        return labels
    }

    /// The stream labels' members as written in the stored line (key and value bytes, in the line's order), or `nil`
    /// once the pipeline changed a label: records with the same key have the same ``labels``, so grouping records
    /// into streams builds a label set only for a key not seen before.
    var streamKey: [UInt8]? {
        guard changes.isEmpty else { return nil }
        return withStored { bytes in
            var key: [UInt8] = []
            for field in fields where !field.inContext && Self.streamLabelName(field.member, bytes) != nil {
                key.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[field.member.key]))
                key.append(0)
                key.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[field.member.value]))
                key.append(0)
            }
            return key
        }
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

    /// The fields in `names` that the record has, labels or not (``value(of:)``): its group in `by (names)`.
    func labels(named names: [String]) -> LabelSet {
        var picked: [String: String] = [:]
        for name in names { if let value = value(of: name) { picked[name] = value } }
        return LabelSet(picked)
    }

    /// The line as it stands, as a tree, for `| json`.
    var tree: [(key: String, value: JSONValue)] {
        if case .object(let members)? = try? JSONParser.parse(line, options: .init(maxDepth: 128, repairUTF8: true)) { return members }
        return [("message", .string(line))]
    }

    // MARK: Changing

    /// Sets a label, or drops it (`nil`).
    mutating func setLabel(_ name: String, _ value: String?) { changes[name] = .some(value) }

    /// Drops every label but `names`.
    mutating func keepLabels(_ names: Set<String>) {
        for name in labels.keys where !names.contains(name) { changes[name] = .some(nil) }
    }

    // MARK: Bytes

    private func withStored<T>(_ body: (UnsafeBufferPointer<UInt8>) -> T) -> T {
        if let result = stored.utf8.withContiguousStorageIfAvailable(body) { return result }
        var copy = stored
        return copy.withUTF8(body)
    }

    /// The stream labels' names as bytes, by length: what a member's key is compared with, without making it text.
    private static let streamLabelsByLength: [Int: [(bytes: [UInt8], name: String)]] = Dictionary(
        grouping: streamLabelNames.map { (Array($0.utf8), $0) }, by: { $0.0.count })

    /// The stream label a member's key names, if it names one.
    private static func streamLabelName(_ member: JSONReader.Member, _ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        guard !member.keyEscaped else {
            let name = key(member, bytes)
            return streamLabelNames.contains(name) ? name : nil
        }
        let key = UnsafeBufferPointer(rebasing: bytes[member.key])
        return streamLabelsByLength[key.count]?.first { key.elementsEqual($0.bytes) }?.name
    }

    /// Whether a member's key is `name`.
    private static func keyEquals(_ member: JSONReader.Member, _ bytes: UnsafeBufferPointer<UInt8>, _ name: String) -> Bool {
        if member.keyEscaped { return key(member, bytes) == name }
        let key = UnsafeBufferPointer(rebasing: bytes[member.key])
        guard name.utf8.count == key.count else { return false }
        return name.utf8.withContiguousStorageIfAvailable { name in memcmp(name.baseAddress!, key.baseAddress!, key.count) == 0 }
            ?? name.utf8.elementsEqual(key)
    }

    /// A member's key as text.
    private static func key(_ member: JSONReader.Member, _ bytes: UnsafeBufferPointer<UInt8>) -> String {
        guard member.keyEscaped else { return String(decoding: UnsafeBufferPointer(rebasing: bytes[member.key]), as: UTF8.self) }
        let reader = JSONReader(bytes, maxDepth: 1, repairUTF8: true)
        return reader.text(of: JSONReader.StringToken(content: member.key, escaped: true, validUTF8: true))
    }

    /// A scalar member's value as text: a string's content, a number or a boolean as written; `nil` for null.
    private static func text(_ member: JSONReader.Member, _ bytes: UnsafeBufferPointer<UInt8>) -> String? {
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

    /// A label's text from a member's JSON text, as ``label(_:)`` reads it: a string's content, a number or a
    /// boolean as written; `nil` for null, an object or an array.
    static func labelText(json value: UnsafeBufferPointer<UInt8>) -> String? {
        guard let first = value.first else { return nil }
        switch first {
        case UInt8(ascii: "\""):
            guard value.count >= 2 else { return nil }
            let content = UnsafeBufferPointer(rebasing: value[1..<(value.count - 1)])
            guard content.contains(0x5C) else { return String(decoding: content, as: UTF8.self) }
            let reader = JSONReader(value, maxDepth: 1, repairUTF8: true)
            return reader.text(of: JSONReader.StringToken(content: 1..<(value.count - 1), escaped: true, validUTF8: true))
        case UInt8(ascii: "{"), UInt8(ascii: "["), UInt8(ascii: "n"): return nil
        default: return String(decoding: value, as: UTF8.self)
        }
    }

    /// The label `name` of a `context` object's members (its JSON text), as a matcher finds one the event lacks:
    /// the last scalar member whose key, as a label name, is `name`.
    static func contextLabel(_ name: String, in object: UnsafeBufferPointer<UInt8>) -> String? {
        var members: [JSONReader.Member] = []
        guard (try? JSONReader.members(of: object, maxDepth: 128, into: &members)) != nil else { return nil }
        for member in members.reversed() where member.kind.isScalar && labelName(key(member, object)) == name {
            return text(member, object)
        }
        return nil
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

extension JSONReader.Kind {
    /// A string, a number or a boolean: what a label or a field can hold.
    fileprivate var isScalar: Bool {
        switch self {
        case .string, .number, .bool: true
        case .null, .object, .array: false
        }
    }
}
