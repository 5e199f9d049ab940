public import Keel
public import Logging

/// Which lines `keel tail` shows, and how a line is classified.
public struct TailFilter: @unchecked Sendable {
    /// Show events at this level or above.
    public var minimumLevel: Logger.Level?
    public var requestID: String?
    public var tenant: String?
    /// Matched against the whole line.
    public var grep: Regex<AnyRegexOutput>?

    public init(
        minimumLevel: Logger.Level? = nil, requestID: String? = nil, tenant: String? = nil,
        grep: Regex<AnyRegexOutput>? = nil
    ) {
        self.minimumLevel = minimumLevel
        self.requestID = requestID
        self.tenant = tenant
        self.grep = grep
    }

    /// Compiles a `--grep` pattern; the error says what is wrong with it.
    public static func pattern(_ text: String, ignoreCase: Bool) throws -> Regex<AnyRegexOutput> {
        let regex = try Regex(text)
        return ignoreCase ? regex.ignoresCase() : regex
    }

    /// Whether a filter on event fields is set: a line that is not JSON cannot match one.
    public var filtersFields: Bool { minimumLevel != nil || requestID != nil || tenant != nil }

    public enum Verdict {
        case event(JSONValue)
        case plain(String)
        case hidden
    }

    /// Classifies one line (without its newline).
    public func judge(_ line: UnsafeRawBufferPointer) -> Verdict {
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
        if let requestID, value["request_id"]?.stringValue != requestID { return .hidden }
        if let tenant, value["tenant_id"]?.stringValue != tenant { return .hidden }
        return .event(value)
    }
}
