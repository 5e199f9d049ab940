extension FieldCatalogue {
    /// Whether `value`, as parsed JSON, fits canonical field `field`: its JSON type, and for `event` and enumerated
    /// fields (`storage_class`) the allowed names. The rule ingestion uses to decide between the field and `context`,
    /// the same the encoder applies to metadata.
    public static func accepts(_ field: FieldID, _ value: JSONValue) -> Bool {
        accepts(field, kind: value.schemaType) {
            switch value {
            case .string(let text), .number(let text): text
            default: ""
            }
        }
    }

    /// The same rule for a value that has not been parsed: `kind` is its JSON type (`.number` for any number, `nil`
    /// for null), and `text` gives its string's text or its number's digits — asked for only when the rule needs
    /// them (an event name, an allowed value, an integer), so a reader that holds bytes makes few `String`s.
    public static func accepts(_ field: FieldID, kind: JSONType?, text: () -> String) -> Bool {
        accepts(field, kind: kind) { (rule: (UnsafeBufferPointer<UInt8>) -> Bool) in
            var text = text()
            return text.withUTF8(rule)
        }
    }

    /// The rule itself, reading the text as UTF-8: `withText` hands a check the string's text (unescaped) or the
    /// number's digits, and is called only when the rule needs them. A reader that holds a record's bytes passes
    /// them straight from where they lie, making no `String` at all.
    package static func accepts(
        _ field: FieldID, kind: JSONType?, withText: ((UnsafeBufferPointer<UInt8>) -> Bool) -> Bool
    ) -> Bool {
        let index = Int(field.rawValue)
        switch (types[index], kind) {
        case (.string, .string?):
            if field == .event { return withText(isEventName) }
            guard enumerated & (1 << field.rawValue) != 0 else { return true }
            let allowed = allowedValues[index]
            return withText { text in allowed.contains { $0.elementsEqual(text) } }
        case (.integer, .number?): return withText(isInteger)
        case (.number, .number?), (.boolean, .boolean?), (.object, .object?), (.array, .array?): return true
        default: return false
        }
    }

    /// Each field's type and allowed values (as UTF-8) by raw value, so a check copies no ``FieldSpec``.
    private static let types: [JSONType] = fields.map(\.type)
    private static let allowedValues: [[[UInt8]]] = fields.map { $0.allowedValues.map { Array($0.utf8) } }
    /// The fields with allowed values, as bits by raw value: most strings are accepted without a look at the list.
    private static let enumerated: UInt64 = fields.indices.reduce(0) { $0 | (fields[$1].allowedValues.isEmpty ? 0 : 1 << UInt64($1)) }

    /// `event` names are dotted lower-case words: `http.request`, `usage.recorded`.
    package static func isEventName(_ name: String) -> Bool {
        var name = name
        return name.withUTF8(isEventName)
    }

    static func isEventName(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        var previousWasDot = true
        for b in name {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"):
                previousWasDot = false
            case UInt8(ascii: "."):
                if previousWasDot { return false }
                previousWasDot = true
            default:
                return false
            }
        }
        return !name.isEmpty && !previousWasDot
    }

    /// Whether `text` is a decimal integer that fits in 64 bits, as `Int64(text)` reads one (a sign, then digits).
    static func isInteger(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        var start = 0
        var negative = false
        if let sign = text.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") {
            negative = sign == UInt8(ascii: "-")
            start = 1
        }
        guard start < text.count else { return false }
        var magnitude: UInt64 = 0
        for byte in text[start...] {
            let digit = byte &- UInt8(ascii: "0")
            guard digit < 10 else { return false }
            let (times10, overflowed) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, carried) = times10.addingReportingOverflow(UInt64(digit))
            guard !overflowed, !carried else { return false }
            magnitude = sum
        }
        return magnitude <= UInt64(Int64.max) + (negative ? 1 : 0)
    }
}
