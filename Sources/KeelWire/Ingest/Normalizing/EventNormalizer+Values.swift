import Crypto
package import Keel

/// Reading the values of a record: types, strings, times, levels and ids, from the bytes where they lie.
extension EventNormalizer {
    /// Whether `member` fits canonical field `field` (``FieldCatalogue/accepts(_:kind:text:)``); its text is read
    /// only when the rule asks for it.
    static func accepts(_ field: FieldID, _ member: JSONObjectScanner.Member, in object: UnsafeBufferPointer<UInt8>) -> Bool {
        let kind: JSONType? =
            switch member.kind {
            case .string: .string
            case .number: .number
            case .bool: .boolean
            case .object: .object
            case .array: .array
            case .null: nil
            }
        return FieldCatalogue.accepts(field, kind: kind) {
            member.kind == .string
                ? string(object, member.value, escaped: member.valueEscaped)
                : String(decoding: UnsafeBufferPointer(rebasing: object[member.value]), as: UTF8.self)
        }
    }

    /// The text of the JSON string at `range` (quotes included).
    static func string(_ text: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, escaped: Bool) -> String {
        guard escaped else { return String(decoding: UnsafeBufferPointer(rebasing: text[range.lowerBound + 1..<range.upperBound - 1]), as: UTF8.self) }
        return (try? JSONParser.parse(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: text[range]))))?.stringValue ?? ""
    }

    /// A string or number member as a ``JSONValue`` (the small envelope values are read this way); `.null` for others.
    static func scalar(_ text: UnsafeBufferPointer<UInt8>, _ member: JSONObjectScanner.Member) -> JSONValue {
        switch member.kind {
        case .string: .string(string(text, member.value, escaped: member.valueEscaped))
        case .number: .number(String(decoding: UnsafeBufferPointer(rebasing: text[member.value]), as: UTF8.self))
        default: .null
        }
    }

    /// A timestamp member: RFC 3339 text read in place, else as ``timestamp(_:)`` reads it.
    static func timestamp(_ text: UnsafeBufferPointer<UInt8>, _ member: JSONObjectScanner.Member) -> Int64? {
        if member.kind == .string, !member.valueEscaped,
            let time = Timestamp(rfc3339: UnsafeBufferPointer(rebasing: text[member.value.lowerBound + 1..<member.value.upperBound - 1]))
        {
            return time.microsecondsSinceEpoch
        }
        return timestamp(scalar(text, member))
    }

    /// RFC 3339 text, or seconds / milliseconds / microseconds / nanoseconds since the epoch (told apart by size).
    package static func timestamp(_ value: JSONValue) -> Int64? {
        switch value {
        case .string(let text):
            if let time = Timestamp(rfc3339: text) { return time.microsecondsSinceEpoch }
            return Double(text).flatMap(epoch)
        case .number(let text):
            return Double(text).flatMap(epoch)
        default:
            return nil
        }
    }

    private static func epoch(_ number: Double) -> Int64? {
        guard number.isFinite, number > 0 else { return nil }
        switch number {
        case ..<1e11: return Int64(number * 1e6)  // seconds
        case ..<1e14: return Int64(number * 1e3)  // milliseconds
        case ..<1e17: return Int64(number)  // microseconds
        case ..<1e20: return Int64(number / 1e3)  // nanoseconds
        default: return nil
        }
    }

    /// The canonical name of a level given as a name (any case, with common synonyms) or as a pino / bunyan number.
    package static func levelName(_ value: JSONValue) -> String? {
        switch value {
        case .string(let text):
            switch text.uppercased() {
            case "TRACE", "TRC": return "TRACE"
            case "DEBUG", "DBG", "FINE": return "DEBUG"
            case "INFO", "INF", "INFORMATION", "INFORMATIONAL": return "INFO"
            case "NOTICE": return "NOTICE"
            case "WARN", "WARNING", "WRN": return "WARN"
            case "ERROR", "ERR", "EROR": return "ERROR"
            case "CRITICAL", "CRIT", "FATAL", "PANIC", "ALERT", "EMERG", "EMERGENCY", "SEVERE": return "CRITICAL"
            default: return nil
            }
        case .number(let text):
            guard let n = Int(text) else { return nil }
            switch n {
            case ..<20: return "TRACE"
            case ..<30: return "DEBUG"
            case ..<40: return "INFO"
            case ..<50: return "WARN"
            case ..<60: return "ERROR"
            default: return "CRITICAL"
            }
        default:
            return nil
        }
    }

    /// A sender's event id is used when it is 1–128 printable ASCII characters.
    static func isUsableID(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 128 && id.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }

    /// A UUID (version 8) from the millisecond of `time` and a SHA-256 of `identity`.
    static func derivedID(_ identity: ArraySlice<UInt8>, time: Int64) -> String {
        let hash = Array(SHA256.hash(data: identity).prefix(16))
        let random = { (range: Range<Int>) in range.reduce(UInt64(0)) { $0 << 8 | UInt64(hash[$1]) } }
        let millis = UInt64(max(0, time / 1000)) & 0xFFFF_FFFF_FFFF
        // 48 bits of time, version 8, then the variant bits: the layout of a UUIDv7, with hash bits for the rest.
        let high = millis << 16 | 0x8000 | random(6..<8) & 0x0FFF
        let low = 0x8000_0000_0000_0000 | random(8..<16) & 0x3FFF_FFFF_FFFF_FFFF
        var out = OutputBuffer(capacity: 36)
        defer { out.deallocate() }
        out.appendUUID(high: high, low: low)
        return String(decoding: out.bytes, as: UTF8.self)
    }

    package static func rfc3339(_ time: Int64) -> String {
        var out = OutputBuffer(capacity: 40)
        defer { out.deallocate() }
        out.appendRFC3339(Timestamp(microsecondsSinceEpoch: time))
        return String(decoding: out.bytes, as: UTF8.self)
    }
}
