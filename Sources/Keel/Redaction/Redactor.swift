/// The redaction engine for whole events: a pure function from a JSON value to a JSON value.
///
/// - Keys that name secrets (``KeyRules``) lose their value, whatever its type, at any depth, inside arrays too.
/// - Keys that name bodies are replaced by `{"redacted":"BODY","bytes":N}` — never their content.
/// - Every other string (values and object keys) goes through the value detectors (``StringRedactor``); strings
///   longer than the policy's maximum are cut and their original length recorded.
/// - Numbers that are valid payment card numbers are replaced too.
///
/// The same engine runs in the library, in `keel redact`, `keel lint` and on every event `keel serve` ingests.
public struct Redactor: Sendable {
    public let policy: RedactionPolicy
    let strings: StringRedactor
    // The policy's parts the walk reads for every value, unpacked once.
    let keyRules: KeyRules
    let tracksPaths: Bool
    let checksCardNumbers: Bool
    let maximumStringLength: Int

    public init(policy: RedactionPolicy = .default) {
        self.policy = policy
        self.strings = StringRedactor(policy: policy)
        self.keyRules = policy.keyRules
        // Paths are only built when an allow-list needs them.
        self.tracksPaths = !policy.allowedPaths.isEmpty
        self.checksCardNumbers = policy.runs(.creditCard)
        self.maximumStringLength = policy.maximumStringLength
    }

    /// The outcome of redacting one value.
    public struct Result: Sendable {
        public var value: JSONValue
        /// What was removed, once per type, in the order found.
        public var types: [RedactionType]
        public var changed: Bool { !types.isEmpty }
    }

    public func redact(_ value: JSONValue) -> Result {
        var types: [RedactionType] = []
        let redacted = redact(value, path: "", types: &types)
        return Result(value: redacted ?? value, types: types)
    }

    private func note(_ type: RedactionType, _ types: inout [RedactionType]) {
        if !types.contains(type) { types.append(type) }
    }

    /// The redacted value, or `nil` when nothing in it changed (so unchanged subtrees are shared, not rebuilt).
    private func redact(_ value: JSONValue, path: String, types: inout [RedactionType]) -> JSONValue? {
        if tracksPaths, policy.allowedPaths.contains(path) { return nil }
        switch value {
        case .string(let s):
            return redactedString(s, types: &types).map(JSONValue.string)
        case .number(let n):
            if checksCardNumbers, NumberDetectors.isCardNumber(n) {
                note(.creditCard, &types)
                return .string("[REDACTED:CREDIT_CARD]")
            }
            return nil
        case .bool, .null:
            return nil
        case .array(let elements):
            return elements.withUnsafeBufferPointer { elements in
                var out: [JSONValue]?
                for i in elements.indices {
                    let replaced = redact(elements[i], path: tracksPaths ? path + "[\(i)]" : "", types: &types)
                    if replaced != nil, out == nil { out = Array(elements[0..<i]) }
                    out?.append(replaced ?? elements[i])
                }
                return out.map(JSONValue.array)
            }
        case .object(let members):
            return members.withUnsafeBufferPointer { members in
                var out: [(key: String, value: JSONValue)]?
                for i in members.indices {
                    let key = members[i].key
                    let memberPath = tracksPaths ? (path.isEmpty ? key : path + "." + key) : ""
                    let newKey = redactedString(key, types: &types)
                    let newValue = redactedMember(key: key, members[i].value, path: memberPath, types: &types)
                    if newKey != nil || newValue != nil, out == nil {
                        out = []
                        out!.reserveCapacity(members.count)
                        out!.append(contentsOf: members[0..<i])
                    }
                    out?.append((newKey ?? key, newValue ?? members[i].value))
                }
                return out.map(JSONValue.object)
            }
        }
    }

    /// An object member's value after the key rules, or `nil` when it stays as it is.
    @inline(__always)
    private func redactedMember(key: String, _ member: JSONValue, path: String, types: inout [RedactionType]) -> JSONValue? {
        if tracksPaths, policy.allowedPaths.contains(path) { return nil }
        switch keyRules.verdict(for: key) {
        case .secret:
            if case .null = member { return nil }
            note(.secret, &types)
            return .string("[REDACTED:SECRET]")
        case .body:
            note(.body, &types)
            return Self.bodySummary(member)
        case .keep:
            return redact(member, path: path, types: &types)
        }
    }

    /// The string redacted and cut to the policy's length, or `nil` when it stays as it is.
    private func redactedString(_ s: String, types: inout [RedactionType]) -> String? {
        var text = s
        var changed = false
        if let found = strings.redact(text) {
            text = found.text
            changed = true
            for t in found.types { note(t, &types) }
        }
        if let cut = Self.limited(text, to: maximumStringLength) {
            text = cut
            changed = true
        }
        return changed ? text : nil
    }

    /// `text` cut to `limit` UTF-8 bytes (on a character boundary) with its original length recorded, or `nil` when it
    /// is not longer than that.
    static func limited(_ text: String, to limit: Int) -> String? {
        let original = text.utf8.count
        guard original > limit else { return nil }
        var end = text.utf8.index(text.utf8.startIndex, offsetBy: limit)
        while end > text.startIndex, !text.unicodeScalars.indices.contains(end) { text.utf8.formIndex(before: &end) }
        return String(text[..<end]) + "…[truncated, \(original) bytes]"
    }

    /// Redacts one string: value detectors, then the length limit.
    public func redactString(_ s: String, types: inout [RedactionType]) -> String {
        redactedString(s, types: &types) ?? s
    }

    /// What stands in for a body: its size and a short digest, never its content.
    static func bodySummary(_ value: JSONValue) -> JSONValue {
        if case .null = value { return .null }
        var out = OutputBuffer(capacity: 64)
        defer { out.deallocate() }
        BodySummary.write(of: value.stringValue ?? value.jsonText, to: &out)
        // The summary is Keel's own, well-formed JSON.
        return (try? JSONParser.parse(out.bytes)) ?? .null
    }
}
