import Logging

/// Writes caller-supplied values into a line through the redaction engine: strings through the value detectors,
/// free-form keys through the key rules, values marked ``Sensitivity/sensitive`` always masked. What it removes is
/// collected (once per type) for the event's `redacted` field.
///
/// With no policy (redaction off) it writes values as given, except that `audit` events still lose the values of
/// secret keys: that cannot be switched off.
struct RedactingWriter {
    /// Held unmanaged: a writer lives for one event, inside the encoder that owns the redactor and the scratch, and
    /// a strong (or `unowned`) reference costs a retain and a release per string written.
    private let redactor: Unmanaged<StringRedactor>?
    let limit: Int
    unowned(unsafe) let scratch: EncodeScratch

    init(strings: StringRedactor?, limit: Int, scratch: EncodeScratch) {
        self.redactor = strings.map { Unmanaged.passUnretained($0) }
        self.limit = limit
        self.scratch = scratch
    }

    /// The redactor, for the less frequent paths (errors, marked values, keys).
    var strings: StringRedactor? { redactor?.takeUnretainedValue() }

    @inline(__always)
    func note(_ type: RedactionType) {
        if !scratch.redactedTypes.contains(type) { scratch.redactedTypes.append(type) }
    }

    /// A JSON string of `text`, redacted.
    @inline(__always)
    func string(_ text: String, to out: inout OutputBuffer) {
        guard let redactor else {
            out.appendJSONString(text, limit: limit)
            return
        }
        let done: Void? = text.utf8.withContiguousStorageIfAvailable { bytes in
            // Borrowed for the call: the encoder keeps the redactor alive for the whole event.
            redactor._withUnsafeGuaranteedRef { strings in
                guard bytes.count >= StringRedactor.shortest else {
                    out.appendJSONString(utf8: bytes, limit: limit)
                    return
                }
                let features = ByteFeatures(bytes)
                guard let findings = strings.findings(in: bytes, features: features) else {
                    // The byte pass already said whether anything needs escaping: most values are copied as they are.
                    if features.isPlainJSON, bytes.count <= limit {
                        out.appendQuoted(bytes)
                    } else {
                        out.appendJSONString(utf8: bytes, limit: limit)
                    }
                    return
                }
                writeRedacted(bytes, findings, strings, to: &out)
            }
        }
        if done == nil {
            var copy = text
            copy.makeContiguousUTF8()
            string(copy, to: &out)
        }
    }

    /// Writes the redacted text straight into the line, without building it as a `String` first; a text that would
    /// be cut to the line's string limit takes the slower way, which cuts it on a character boundary.
    @inline(never)
    private func writeRedacted(
        _ bytes: UnsafeBufferPointer<UInt8>, _ findings: [Finding], _ strings: StringRedactor, to out: inout OutputBuffer
    ) {
        let mark = out.count
        let length = strings.appendJSONString(redacting: bytes, findings, to: &out) { note($0) }
        if length > limit, let found = strings.redact(utf8: bytes) {
            out.truncate(to: mark)
            out.appendJSONString(found.text, limit: limit)
        }
    }

    /// `text` redacted, as a `String` (for values written by other helpers).
    func redacted(_ text: String?) -> String? {
        guard let text, let strings, let found = strings.redact(text) else { return text }
        for type in found.types { note(type) }
        return found.text
    }

    /// What stands in for a value that must not appear: a pseudonym for marked personal data when configured.
    func mask(_ type: RedactionType, _ value: String, to out: inout OutputBuffer) {
        note(type)
        var value = value
        let replacement = value.withUTF8 {
            StringRedactor.replacement(for: $0, type: type, pseudonymizer: strings?.pseudonymizer)
        }
        out.appendJSONString(replacement)
    }

    /// One `"key":value` member of a free-form object, with the key rules applied.
    func member(_ key: String, _ value: Logger.MetadataValue, depth: Int, audit: Bool, to out: inout OutputBuffer) {
        string(key, to: &out)
        out.append(UInt8(ascii: ":"))
        let rules = strings?.keyRules ?? (audit ? KeyRules.standard : nil)
        switch rules?.verdict(for: key) ?? .keep {
        case .secret:
            note(.secret)
            out.append("\"[REDACTED:SECRET]\"")
        case .body where strings != nil:
            note(.body)
            BodySummary.write(of: CanonicalValue.text(value) ?? "\(value)", to: &out)
        default:
            metadata(value, depth: depth, audit: audit, to: &out)
        }
    }

    /// Free-form metadata keeping JSON types: integers, floating-point numbers and booleans passed as
    /// `.stringConvertible` become numbers and booleans; dictionaries and arrays nest as given.
    func metadata(_ value: Logger.MetadataValue, depth: Int, audit: Bool, to out: inout OutputBuffer) {
        switch value {
        case .string(let s):
            string(s, to: &out)
        case .stringConvertible(let c):
            switch Scalar.of(c) {
            case .integer(let i): out.appendDecimal(i)
            case .unsigned(let u): out.appendDecimal(u)
            case .number(let d): out.appendJSONNumber(d)
            case .boolean(let b): out.append(b ? "true" : "false")
            case .other:
                if value.isMarkedSensitive {
                    mask(.sensitive, c.description, to: &out)
                } else {
                    string(c.description, to: &out)
                }
            }
        case .dictionary(let d):
            guard depth < EventEncoder.maxDepth else { return out.append("\"[nested too deep]\"") }
            out.append(UInt8(ascii: "{"))
            var first = true
            for (k, v) in d {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                member(k, v, depth: depth + 1, audit: audit, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        case .array(let a):
            guard depth < EventEncoder.maxDepth else { return out.append("\"[nested too deep]\"") }
            out.append(UInt8(ascii: "["))
            var first = true
            for v in a {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                metadata(v, depth: depth + 1, audit: audit, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        }
    }
}

extension KeyRules {
    /// The default rules, shared.
    static let standard = KeyRules()
}
