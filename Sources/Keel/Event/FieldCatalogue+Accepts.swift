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
        let index = Int(field.rawValue)
        switch (types[index], kind) {
        case (.string, .string?):
            if field == .event { return isEventName(text()) }
            return allowedValues[index].isEmpty || allowedValues[index].contains(text())
        case (.integer, .number?): return Int64(text()) != nil
        case (.number, .number?), (.boolean, .boolean?), (.object, .object?), (.array, .array?): return true
        default: return false
        }
    }

    /// Each field's type and allowed values by raw value, so a check copies no ``FieldSpec``.
    private static let types: [JSONType] = fields.map(\.type)
    private static let allowedValues: [Set<String>] = fields.map { Set($0.allowedValues) }

    /// `event` names are dotted lower-case words: `http.request`, `usage.recorded`.
    package static func isEventName(_ name: String) -> Bool {
        var previousWasDot = true
        var count = 0
        for b in name.utf8 {
            count += 1
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
        return count > 0 && !previousWasDot
    }
}
