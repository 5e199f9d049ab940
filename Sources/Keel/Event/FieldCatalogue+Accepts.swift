extension FieldCatalogue {
    /// Whether `value`, as parsed JSON, fits canonical field `field`: its JSON type, and for `event` and enumerated
    /// fields (`storage_class`) the allowed names. The rule ingestion uses to decide between the field and `context`,
    /// the same the encoder applies to metadata.
    public static func accepts(_ field: FieldID, _ value: JSONValue) -> Bool {
        let index = Int(field.rawValue)
        switch (types[index], value) {
        case (.string, .string(let s)):
            if field == .event { return EventEncoder.isEventName(s) }
            return allowedValues[index].isEmpty || allowedValues[index].contains(s)
        case (.integer, .number(let n)): return Int64(n) != nil
        case (.number, .number): return true
        case (.boolean, .bool), (.object, .object), (.array, .array): return true
        default: return false
        }
    }

    /// The JSON type of field `field`'s values.
    public static func type(of field: FieldID) -> JSONType { types[Int(field.rawValue)] }

    /// Whether `accepts(_:_:)` looks at a string's text for `field` (an event name, or one of allowed values), not
    /// only at its type: a reader that holds bytes makes a `String` only for these.
    public static func restrictsStrings(_ field: FieldID) -> Bool {
        field == .event || !allowedValues[Int(field.rawValue)].isEmpty
    }

    /// Each field's type and allowed values by raw value, so a check copies no ``FieldSpec``.
    private static let types: [JSONType] = fields.map(\.type)
    private static let allowedValues: [Set<String>] = fields.map { Set($0.allowedValues) }
}
