package import Keel

/// Finds personal data and secrets in an event and says where — type and JSON path — never what.
package struct LeakFinder: Sendable {
    package struct Leak: Sendable, Equatable {
        package let path: String
        package let type: RedactionType
    }

    let policy: RedactionPolicy
    let strings: StringRedactor

    package init(policy: RedactionPolicy = .default) {
        self.policy = policy
        self.strings = StringRedactor(policy: policy)
    }

    package func leaks(in event: JSONValue) -> [Leak] {
        var leaks: [Leak] = []
        walk(event, path: "", into: &leaks)
        return leaks
    }

    /// Values that are already masked by Keel.
    static func isMasked(_ value: JSONValue) -> Bool {
        switch value {
        case .string(let s): s.hasPrefix("[REDACTED:")
        case .object: value["redacted"]?.stringValue != nil
        case .null: true
        default: false
        }
    }

    private func walk(_ value: JSONValue, path: String, into leaks: inout [Leak]) {
        if policy.allowedPaths.contains(path) { return }
        switch value {
        case .string(let s):
            for type in strings.redact(s)?.types ?? [] { leaks.append(Leak(path: path, type: type)) }
        case .array(let elements):
            for (i, element) in elements.enumerated() { walk(element, path: "\(path)[\(i)]", into: &leaks) }
        case .object(let members):
            for (key, member) in members {
                let memberPath = path.isEmpty ? key : "\(path).\(key)"
                for type in strings.redact(key)?.types ?? [] { leaks.append(Leak(path: memberPath + " (key)", type: type)) }
                // The event's own bookkeeping is not data.
                if path.isEmpty && (key == "redacted" || key == "event_id" || key == "timestamp") { continue }
                switch policy.keyRules.verdict(for: key) {
                case .secret where !Self.isMasked(member):
                    leaks.append(Leak(path: memberPath, type: .secret))
                case .body where !Self.isMasked(member):
                    leaks.append(Leak(path: memberPath, type: .body))
                case .secret, .body:
                    continue
                case .keep:
                    walk(member, path: memberPath, into: &leaks)
                }
            }
        case .number(let n):
            if policy.runs(.creditCard), NumberDetectors.isCardNumber(n) {
                leaks.append(Leak(path: path, type: .creditCard))
            }
        case .bool, .null:
            return
        }
    }
}
