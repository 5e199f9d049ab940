package import Keel
package import Logging

/// Which lines `keel tail` and `keel query` show, and how a line is classified: the same filters a server applies
/// to `/v1/events`, applied to lines read locally (files, stdin), plus a regular expression over the whole line.
package struct TailFilter: @unchecked Sendable {
    /// Show events at this level or above.
    package var minimumLevel: Logger.Level?
    /// Fields that must hold exactly these strings (`request_id`, `tenant_id`, `event`, `error_code` …).
    package var fields: [(name: String, value: String)]
    /// A substring of the message, without regard to case (the server's `q`).
    package var messageContains: String?
    /// Events from this time, and before this one (microseconds since the epoch).
    package var from: Int64?
    package var to: Int64?
    /// Matched against the whole line.
    package var grep: Regex<AnyRegexOutput>?

    package init(
        minimumLevel: Logger.Level? = nil, requestID: String? = nil, tenant: String? = nil,
        fields: [(name: String, value: String)] = [], messageContains: String? = nil, from: Int64? = nil,
        to: Int64? = nil, grep: Regex<AnyRegexOutput>? = nil
    ) {
        self.minimumLevel = minimumLevel
        var fields = fields
        if let requestID { fields.append(("request_id", requestID)) }
        if let tenant { fields.append(("tenant_id", tenant)) }
        self.fields = fields
        self.messageContains = messageContains?.lowercased()
        self.from = from
        self.to = to
        self.grep = grep
    }

    /// Compiles a `--grep` pattern; the error says what is wrong with it.
    package static func pattern(_ text: String, ignoreCase: Bool) throws -> Regex<AnyRegexOutput> {
        let regex = try Regex(text)
        return ignoreCase ? regex.ignoresCase() : regex
    }

    /// Whether a filter on event fields is set: a line that is not JSON cannot match one.
    package var filtersFields: Bool {
        minimumLevel != nil || !fields.isEmpty || messageContains != nil || from != nil || to != nil
    }

    package enum Verdict {
        case event(JSONValue)
        case plain(String)
        case hidden
    }

    /// Classifies one line (without its newline).
    package func judge(_ line: UnsafeRawBufferPointer) -> Verdict {
        let text = String(decoding: line, as: UTF8.self)
        if let grep, (try? grep.firstMatch(in: text)) == nil { return .hidden }
        guard let value = try? JSONParser.parse(line, options: .init(repairUTF8: true)), case .object = value else {
            return filtersFields ? .hidden : .plain(text)
        }
        if let minimumLevel {
            guard let name = value["level"]?.stringValue, let level = Logger.Level(canonicalName: name),
                level >= minimumLevel
            else { return .hidden }
        }
        for (name, wanted) in fields where value[name]?.stringValue != wanted { return .hidden }
        if let messageContains, value["message"]?.stringValue?.lowercased().contains(messageContains) != true { return .hidden }
        if from != nil || to != nil {
            guard let time = value["timestamp"]?.stringValue.flatMap({ Timestamp(rfc3339: $0) })?.microsecondsSinceEpoch,
                from.map({ time >= $0 }) ?? true, to.map({ time < $0 }) ?? true
            else { return .hidden }
        }
        return .event(value)
    }
}
