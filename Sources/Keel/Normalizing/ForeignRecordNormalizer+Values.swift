import Logging

/// Reading the values of a record where they lie: types, strings, times and levels.
extension ForeignRecordNormalizer {
    /// Whether `member` fits canonical field `field` (``FieldCatalogue/accepts(_:kind:withText:)``); its text is read
    /// only when the rule asks for it, from where it lies unless it holds an escape.
    static func accepts(_ field: FieldID, _ member: JSONReader.Member, in object: UnsafeBufferPointer<UInt8>) -> Bool {
        FieldCatalogue.accepts(field, kind: member.kind.schemaType) { (rule: (UnsafeBufferPointer<UInt8>) -> Bool) in
            if member.kind == .string, member.valueEscaped {
                var text = string(object, member.value, escaped: true)
                return text.withUTF8(rule)
            }
            let value = member.kind == .string ? member.value.lowerBound + 1..<member.value.upperBound - 1 : member.value
            return rule(UnsafeBufferPointer(rebasing: object[value]))
        }
    }

    /// A level member: a level's name exactly as Keel writes it read in place, else as ``Logger/Level/init(foreign:)``
    /// reads it.
    static func level(_ text: UnsafeBufferPointer<UInt8>, _ member: JSONReader.Member) -> Logger.Level? {
        if member.kind == .string, !member.valueEscaped,
            let level = Logger.Level(wireName: UnsafeBufferPointer(rebasing: text[member.value.lowerBound + 1..<member.value.upperBound - 1]))
        {
            return level
        }
        return Logger.Level(foreign: scalar(text, member))
    }

    /// The text of the JSON string at `range` (quotes included).
    static func string(_ text: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, escaped: Bool) -> String {
        guard escaped else { return String(decoding: UnsafeBufferPointer(rebasing: text[range.lowerBound + 1..<range.upperBound - 1]), as: UTF8.self) }
        return (try? JSONParser.parse(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: text[range]))))?.stringValue ?? ""
    }

    /// A string or number member as a ``JSONValue`` (the small envelope values are read this way); `.null` for others.
    static func scalar(_ text: UnsafeBufferPointer<UInt8>, _ member: JSONReader.Member) -> JSONValue {
        switch member.kind {
        case .string: .string(string(text, member.value, escaped: member.valueEscaped))
        case .number: .number(String(decoding: UnsafeBufferPointer(rebasing: text[member.value]), as: UTF8.self))
        default: .null
        }
    }

    /// A timestamp member: RFC 3339 text read in place, else as ``Timestamp/init(foreign:)`` reads it.
    static func timestamp(_ text: UnsafeBufferPointer<UInt8>, _ member: JSONReader.Member) -> Int64? {
        if member.kind == .string, !member.valueEscaped,
            let time = Timestamp(rfc3339: UnsafeBufferPointer(rebasing: text[member.value.lowerBound + 1..<member.value.upperBound - 1]))
        {
            return time.microsecondsSinceEpoch
        }
        return Timestamp(foreign: scalar(text, member))?.microsecondsSinceEpoch
    }
}
