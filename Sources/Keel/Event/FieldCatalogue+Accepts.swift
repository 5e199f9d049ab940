extension FieldCatalogue {
    /// Whether `value`, as parsed JSON, fits canonical field `field`: its JSON type, and for `event` and enumerated
    /// fields (`storage_class`) the allowed names. The rule ingestion uses to decide between the field and `context`,
    /// the same the encoder applies to metadata.
    public static func accepts(_ field: FieldID, _ value: JSONValue) -> Bool {
        let kind: JSONType? =
            switch value {
            case .string: .string
            case .number: .number
            case .bool: .boolean
            case .object: .object
            case .array: .array
            case .null: nil
            }
        return accepts(field, kind: kind) {
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
            if field == .event { return EventEncoder.isEventName(text()) }
            return allowedValues[index].isEmpty || allowedValues[index].contains(text())
        case (.integer, .number?): return Int64(text()) != nil
        case (.number, .number?), (.boolean, .boolean?), (.object, .object?), (.array, .array?): return true
        default: return false
        }
    }

    /// Each field's type and allowed values by raw value, so a check copies no ``FieldSpec``.
    private static let types: [JSONType] = fields.map(\.type)
    private static let allowedValues: [Set<String>] = fields.map { Set($0.allowedValues) }
}
