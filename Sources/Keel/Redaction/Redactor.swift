/// Redaction of whole events and payloads: a pure function from JSON to JSON, as text (``redactJSON(_:)``, the
/// engine itself) or as a value (``redact(_:)``, the same engine on the value's text).
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
    // The policy's parts the engine reads for every value, unpacked once.
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

    /// Redacts a value: the engine of ``redactJSON(_:)`` run on its text. Unchanged, it is returned as it was.
    public func redact(_ value: JSONValue) -> Result {
        var text = OutputBuffer(capacity: 256)
        var out = OutputBuffer(capacity: 256)
        defer {
            text.deallocate()
            out.deallocate()
        }
        value.write(to: &text)
        return text.withUnsafeBytes { text in
            // A value's text is JSON, nested no deeper than the value, so the engine takes it.
            guard let types = try? redactJSON(text, to: &out, maxDepth: .max) else { return Result(value: value, types: []) }
            return out.withUnsafeBytes { redacted in
                guard !redacted.elementsEqual(text), let tree = try? JSONParser.parse(redacted, options: .init(maxDepth: .max)) else {
                    return Result(value: value, types: [])
                }
                return Result(value: tree, types: types)
            }
        }
    }

    /// The string redacted and cut to the policy's length, or `nil` when it stays as it is.
    private func redactedString(_ s: String, types: inout [RedactionType]) -> String? {
        var text = s
        var changed = false
        if let found = strings.redact(text) {
            text = found.text
            changed = true
            for type in found.types where !types.contains(type) { types.append(type) }
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
}
