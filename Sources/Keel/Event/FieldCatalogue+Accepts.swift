extension FieldCatalogue {
    /// Whether `value`, as parsed JSON, fits canonical field `field`: its JSON type, and for `event` and enumerated
    /// fields (`storage_class`) the allowed names. The rule ingestion uses to decide between the field and `context`,
    /// the same the encoder applies to metadata.
    public static func accepts(_ field: FieldID, _ value: JSONValue) -> Bool {
        let spec = spec(field)
        switch (spec.type, value) {
        case (.string, .string(let s)):
            if field == .event { return EventEncoder.isEventName(s) }
            return spec.allowedValues.isEmpty || spec.allowedValues.contains(s)
        case (.integer, .number(let n)): return Int64(n) != nil
        case (.number, .number): return true
        case (.boolean, .bool), (.object, .object), (.array, .array): return true
        default: return false
        }
    }
}
