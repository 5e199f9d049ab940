/// The facts about each canonical field that the hot path needs, in flat tables with no reference counting:
/// the JSON type, whether callers may set it, and the pre-encoded `,"name":` key bytes.
enum FieldRules {
    struct Rule {
        let type: JSONType
        let callerSettable: Bool
        /// Whether the value must be one of the spec's `allowedValues` (`storage_class`).
        let enumerated: Bool
    }

    nonisolated(unsafe) private static let rules: UnsafeMutablePointer<Rule> = {
        let rules = FieldCatalogue.fields.map {
            Rule(type: $0.type, callerSettable: $0.owner == .caller, enumerated: !$0.allowedValues.isEmpty)
        }
        let p = UnsafeMutablePointer<Rule>.allocate(capacity: rules.count)
        p.initialize(from: rules, count: rules.count)
        return p
    }()

    /// `,"name":` for every field, back to back in one immortal allocation.
    nonisolated(unsafe) private static let keyBytes: UnsafeMutablePointer<UInt8> = {
        let all = FieldCatalogue.fields.flatMap { Array(",\"\($0.name)\":".utf8) }
        let p = UnsafeMutablePointer<UInt8>.allocate(capacity: all.count)
        p.initialize(from: all, count: all.count)
        return p
    }()

    /// (offset, length) of each field's key in ``keyBytes``.
    nonisolated(unsafe) private static let keySpans: UnsafeMutablePointer<(Int, Int)> = {
        var spans: [(Int, Int)] = []
        var offset = 0
        for spec in FieldCatalogue.fields {
            let n = spec.name.utf8.count + 4
            spans.append((offset, n))
            offset += n
        }
        let p = UnsafeMutablePointer<(Int, Int)>.allocate(capacity: spans.count)
        p.initialize(from: spans, count: spans.count)
        return p
    }()

    @inline(__always)
    static func rule(_ field: FieldID) -> Rule { rules[Int(field.rawValue)] }

    /// The bytes `,"name":` of `field`.
    @inline(__always)
    static func key(_ field: FieldID) -> UnsafeBufferPointer<UInt8> {
        let span = keySpans[Int(field.rawValue)]
        return UnsafeBufferPointer(start: keyBytes + span.0, count: span.1)
    }
}
