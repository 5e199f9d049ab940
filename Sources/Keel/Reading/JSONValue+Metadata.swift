public import Logging

extension JSONValue {
    /// This value as swift-log metadata that keeps its type: numbers and booleans stay numbers and booleans in the
    /// line Keel writes. `null` is left out (`nil`), in arrays and objects too.
    public var metadataValue: Logger.MetadataValue? {
        switch self {
        case .null: return nil
        case .string(let s): return .string(s)
        case .bool(let b): return .stringConvertible(b)
        case .number(let text):
            if let integer = Int64(text) { return .stringConvertible(integer) }
            if let double = Double(text) { return .stringConvertible(double) }
            return .string(text)
        case .array(let elements): return .array(elements.compactMap(\.metadataValue))
        case .object(let members):
            var dictionary: Logger.Metadata = [:]
            for (key, member) in members { if let converted = member.metadataValue { dictionary[key] = converted } }
            return .dictionary(dictionary)
        }
    }
}
