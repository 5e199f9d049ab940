/// A redaction policy that cannot be used. The message names the file and the field.
public struct RedactionPolicyError: Error, CustomStringConvertible, Sendable, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension RedactionPolicy {
    /// The fields a policy file may contain.
    public static let fileFields: [String] = [
        "secret_keys", "body_keys", "keep_keys", "allowed_paths", "detectors", "custom_detectors",
        "max_string_length", "pseudonym_key_file",
    ]

    /// Reads a policy from JSON (the format of `KEEL_REDACTION_POLICY`), on top of the defaults:
    ///
    /// ```json
    /// {
    ///   "secret_keys": ["x-internal-token"],          // more key names whose values are secrets
    ///   "body_keys": ["document"],                    // more key names whose values are bodies
    ///   "keep_keys": ["token_bucket"],                // key names never treated as secret or body
    ///   "allowed_paths": ["context.support_email"],   // dotted paths never touched
    ///   "detectors": {"IPV4": false, "IPV6": false},  // switch detectors off (or on)
    ///   "custom_detectors": [{"type": "EMPLOYEE_ID", "pattern": "EMP-[0-9]{6}"}],
    ///   "max_string_length": 4096,
    ///   "pseudonym_key_file": "/run/secrets/keel-pseudonym-key"
    /// }
    /// ```
    ///
    /// - Parameter readFile: reads the pseudonym key file's bytes (injected so that tests need no files).
    /// - Throws: ``RedactionPolicyError`` naming the field that is wrong and what it accepts.
    public static func load(
        json text: String, readFile: (String) throws -> [UInt8]
    ) throws(RedactionPolicyError) -> RedactionPolicy {
        let value: JSONValue
        do {
            value = try JSONParser.parse(text)
        } catch {
            throw RedactionPolicyError("not valid JSON: \(error)")
        }
        guard case .object(let members) = value else { throw RedactionPolicyError("the policy must be a JSON object") }
        for (key, _) in members where !fileFields.contains(key) {
            throw RedactionPolicyError("unknown field \"\(key)\"; accepted: \(fileFields.joined(separator: ", "))")
        }
        func strings(_ field: String) throws(RedactionPolicyError) -> [String] {
            guard let v = value[field] else { return [] }
            guard case .array(let items) = v else { throw RedactionPolicyError("\"\(field)\" must be an array of strings") }
            var out: [String] = []
            for item in items {
                guard case .string(let s) = item, !s.isEmpty else {
                    throw RedactionPolicyError("\"\(field)\" must be an array of non-empty strings")
                }
                out.append(s)
            }
            return out
        }
        var policy = RedactionPolicy()
        policy.keyRules = KeyRules(
            secretSuffixes: KeyRules.defaultSecretSuffixes + (try strings("secret_keys")),
            bodySuffixes: KeyRules.defaultBodySuffixes + (try strings("body_keys")),
            exceptions: KeyRules.defaultExceptions + (try strings("keep_keys")))
        policy.allowedPaths = Set(try strings("allowed_paths"))
        if let detectors = value["detectors"] {
            guard case .object(let switches) = detectors else {
                throw RedactionPolicyError("\"detectors\" must be an object of TYPE: true|false")
            }
            let known = Set(RedactionType.detected.map(\.name))
            for (name, on) in switches {
                guard known.contains(name) else {
                    throw RedactionPolicyError(
                        "unknown detector \"\(name)\" in \"detectors\"; known: \(known.sorted().joined(separator: ", "))")
                }
                guard case .bool(let enabled) = on else { throw RedactionPolicyError("\"detectors\".\(name) must be true or false") }
                if enabled { policy.disabledDetectors.remove(RedactionType(name)) } else { policy.disabledDetectors.insert(RedactionType(name)) }
            }
        }
        if let custom = value["custom_detectors"] {
            guard case .array(let items) = custom else { throw RedactionPolicyError("\"custom_detectors\" must be an array") }
            for item in items {
                guard let type = item["type"]?.stringValue, !type.isEmpty, let pattern = item["pattern"]?.stringValue else {
                    throw RedactionPolicyError("each custom detector needs \"type\" and \"pattern\" strings")
                }
                do {
                    policy.customDetectors.append(try CustomDetector(type: RedactionType(type.uppercased()), pattern: pattern))
                } catch {
                    throw RedactionPolicyError("custom detector \(type): pattern \(pattern.debugDescription) is not a valid regular expression: \(error)")
                }
            }
        }
        if let limit = value["max_string_length"] {
            guard let n = limit.doubleValue, n >= 64, n <= 1_048_576, n == n.rounded() else {
                throw RedactionPolicyError("\"max_string_length\" must be a whole number from 64 to 1048576")
            }
            policy.maximumStringLength = Int(n)
        }
        if let keyFile = value["pseudonym_key_file"] {
            guard let path = keyFile.stringValue else { throw RedactionPolicyError("\"pseudonym_key_file\" must be a path") }
            let bytes: [UInt8]
            do {
                bytes = try readFile(path)
            } catch {
                throw RedactionPolicyError("cannot read pseudonym key file \(path): \(error)")
            }
            policy.pseudonymizer = try Pseudonymizer(key: bytes)
        }
        return policy
    }
}

/// An operator's own detector: a regular expression and the type it reports.
public struct CustomDetector: @unchecked Sendable {
    // `Regex` is immutable once built; matching does not mutate it.
    public let type: RedactionType
    let regex: Regex<AnyRegexOutput>

    public init(type: RedactionType, pattern: String) throws {
        self.type = type
        self.regex = try Regex(pattern)
    }

    func scan(_ s: UnsafeBufferPointer<UInt8>, into findings: inout [Finding]) {
        let text = String(decoding: s, as: UTF8.self)
        for match in text.matches(of: regex) where !match.range.isEmpty {
            let start = text.utf8.distance(from: text.startIndex, to: match.range.lowerBound)
            let end = text.utf8.distance(from: text.startIndex, to: match.range.upperBound)
            findings.append(Finding(start: start, end: end, type: type))
        }
    }
}
