import Logging

/// A scalar carried inside `Logger.MetadataValue.stringConvertible`, recognised without dynamic casts.
enum Scalar {
    case integer(Int64)
    case unsigned(UInt64)
    case number(Double)
    case boolean(Bool)
    case other

    /// Opens the existential and compares type metadata: a pointer compare per candidate type instead of a
    /// `swift_dynamicCast` per candidate.
    @inline(__always)
    static func of(_ value: any CustomStringConvertible & Sendable) -> Scalar {
        classify(value)
    }

    @inline(__always)
    private static func classify<T>(_ v: T) -> Scalar {
        if T.self == Int.self { return .integer(Int64(unsafeBitCast(v, to: Int.self))) }
        if T.self == Double.self { return .number(unsafeBitCast(v, to: Double.self)) }
        if T.self == Bool.self { return .boolean(unsafeBitCast(v, to: Bool.self)) }
        if T.self == Int64.self { return .integer(unsafeBitCast(v, to: Int64.self)) }
        if T.self == Int32.self { return .integer(Int64(unsafeBitCast(v, to: Int32.self))) }
        if T.self == UInt.self { return .unsigned(UInt64(unsafeBitCast(v, to: UInt.self))) }
        if T.self == UInt64.self { return .unsigned(unsafeBitCast(v, to: UInt64.self)) }
        if T.self == UInt32.self { return .integer(Int64(unsafeBitCast(v, to: UInt32.self))) }
        if T.self == Int16.self { return .integer(Int64(unsafeBitCast(v, to: Int16.self))) }
        if T.self == UInt16.self { return .integer(Int64(unsafeBitCast(v, to: UInt16.self))) }
        if T.self == Int8.self { return .integer(Int64(unsafeBitCast(v, to: Int8.self))) }
        if T.self == UInt8.self { return .integer(Int64(unsafeBitCast(v, to: UInt8.self))) }
        if T.self == Float.self { return .number(Double(unsafeBitCast(v, to: Float.self))) }
        return .other
    }
}

/// How a metadata value is read as a canonical field of a given JSON type.
///
/// ``fits(_:_:)`` decides at gather time; ``write(_:as:limit:to:)`` writes at encode time from the same value,
/// read in place. Both depend only on the value, so what was accepted is always written as the declared type:
/// numbers and booleans are accepted as Swift scalars or as strings that spell them exactly (`"200"`, `"true"` —
/// `"\(code)"` is how swift-log users usually write numbers), never from a custom type's `description`.
enum CanonicalValue {
    @inline(__always)
    static func fits(_ value: Logger.MetadataValue, _ type: JSONType) -> Bool {
        switch (type, value) {
        case (.string, .string), (.string, .stringConvertible): return true
        case (_, .dictionary(let d)) where type == .object: return isErrorObject(d)
        case (.integer, _): return integer(value) != nil
        case (.number, _): return number(value) != nil
        case (.boolean, _): return boolean(value) != nil
        default: return false
        }
    }

    @inline(__always)
    static func write(_ value: Logger.MetadataValue, as type: JSONType, limit: Int, to out: inout OutputBuffer) {
        switch type {
        case .string:
            switch value {
            case .string(let s): out.appendJSONString(s, limit: limit)
            case .stringConvertible(let c): out.appendJSONString(c.description, limit: limit)
            case .dictionary, .array: out.append("\"\"")
            }
        case .integer:
            out.appendDecimal(integer(value) ?? 0)
        case .number:
            out.appendJSONNumber(number(value) ?? 0)
        case .boolean:
            out.append(boolean(value) == true ? "true" : "false")
        case .object:
            guard case .dictionary(let d) = value else { return out.append("{}") }
            writeErrorObject(type: text(d["type"]), message: text(d["message"]), stack: text(d["stack"]), limit: limit, to: &out)
        case .array:
            out.append("[]")
        }
    }

    @inline(__always)
    static func integer(_ value: Logger.MetadataValue) -> Int64? {
        switch value {
        case .string(let s): return Int64(s)
        case .stringConvertible(let c):
            switch Scalar.of(c) {
            case .integer(let i): return i
            case .unsigned(let u): return u <= UInt64(Int64.max) ? Int64(u) : nil
            case .number(let d): return d.isFinite && d == d.rounded() && abs(d) < 9e15 ? Int64(d) : nil
            case .boolean, .other: return nil
            }
        case .dictionary, .array: return nil
        }
    }

    @inline(__always)
    static func number(_ value: Logger.MetadataValue) -> Double? {
        switch value {
        case .string(let s): return Double(s).flatMap { $0.isFinite ? $0 : nil }
        case .stringConvertible(let c):
            switch Scalar.of(c) {
            case .integer(let i): return Double(i)
            case .unsigned(let u): return Double(u)
            case .number(let d): return d.isFinite ? d : nil
            case .boolean, .other: return nil
            }
        case .dictionary, .array: return nil
        }
    }

    @inline(__always)
    static func boolean(_ value: Logger.MetadataValue) -> Bool? {
        switch value {
        case .string(let s): return s == "true" ? true : s == "false" ? false : nil
        case .stringConvertible(let c):
            if case .boolean(let b) = Scalar.of(c) { return b }
            return nil
        case .dictionary, .array: return nil
        }
    }

    /// `error` given as metadata: a dictionary of `type`, `message`, `stack`, all scalars.
    static func isErrorObject(_ d: Logger.Metadata) -> Bool {
        for (k, v) in d {
            guard k == "type" || k == "message" || k == "stack" else { return false }
            if case .dictionary = v { return false }
            if case .array = v { return false }
        }
        return true
    }

    static func text(_ value: Logger.MetadataValue?) -> String? {
        switch value {
        case .string(let s)?: s
        case .stringConvertible(let c)?: c.description
        default: nil
        }
    }

    static func writeErrorObject(type: String?, message: String?, stack: String?, limit: Int, to out: inout OutputBuffer) {
        out.append(UInt8(ascii: "{"))
        var first = true
        func member(_ key: StaticString, _ text: String?) {
            guard let text else { return }
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            out.append(key)
            out.appendJSONString(text, limit: limit)
        }
        member("\"type\":", type)
        member("\"message\":", message)
        member("\"stack\":", stack)
        out.append(UInt8(ascii: "}"))
    }
}
