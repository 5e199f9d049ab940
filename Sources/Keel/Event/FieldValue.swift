import Logging

/// A canonical field's value after it was checked against the field's JSON type.
public enum FieldValue: Sendable {
    case string(String)
    /// A value whose `description` is written as a string (an id passed as an `Int` to a string field, say).
    case describing(any CustomStringConvertible & Sendable)
    case integer(Int64)
    case number(Double)
    case boolean(Bool)
    /// The `error` object.
    case error(type: String?, message: String?, stack: String?)
}

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

extension FieldValue {
    /// Checks `value` against the JSON type of `spec`; `nil` when it does not fit.
    ///
    /// Strings that spell a value of the field's type exactly are accepted (`"200"` for `status`, `"true"` for
    /// `retryable`), because `"\(code)"` is how swift-log users usually write numbers.
    static func checking(_ value: Logger.MetadataValue, against type: JSONType) -> FieldValue? {
        switch type {
        case .string:
            switch value {
            case .string(let s): return .string(s)
            case .stringConvertible(let c): return .describing(c)
            case .dictionary, .array: return nil
            }
        case .integer:
            switch value {
            case .string(let s): return Int64(s).map(FieldValue.integer)
            case .stringConvertible(let c):
                switch Scalar.of(c) {
                case .integer(let i): return .integer(i)
                case .unsigned(let u): return u <= UInt64(Int64.max) ? .integer(Int64(u)) : nil
                case .number(let d):
                    return d.isFinite && d == d.rounded() && abs(d) < 9e15 ? .integer(Int64(d)) : nil
                case .boolean, .other: return Int64(c.description).map(FieldValue.integer)
                }
            case .dictionary, .array: return nil
            }
        case .number:
            switch value {
            case .string(let s): return Double(s).flatMap { $0.isFinite ? .number($0) : nil }
            case .stringConvertible(let c):
                switch Scalar.of(c) {
                case .integer(let i): return .number(Double(i))
                case .unsigned(let u): return .number(Double(u))
                case .number(let d): return .number(d)
                case .boolean: return nil
                case .other: return Double(c.description).flatMap { $0.isFinite ? .number($0) : nil }
                }
            case .dictionary, .array: return nil
            }
        case .boolean:
            switch value {
            case .string(let s): return s == "true" ? .boolean(true) : s == "false" ? .boolean(false) : nil
            case .stringConvertible(let c):
                if case .boolean(let b) = Scalar.of(c) { return .boolean(b) }
                let s = c.description
                return s == "true" ? .boolean(true) : s == "false" ? .boolean(false) : nil
            case .dictionary, .array: return nil
            }
        case .object:
            // Only `error` is a caller-settable object: {type, message, stack}, all strings.
            guard case .dictionary(let d) = value else { return nil }
            var type: String?
            var message: String?
            var stack: String?
            for (k, v) in d {
                let text: String
                switch v {
                case .string(let s): text = s
                case .stringConvertible(let c): text = c.description
                case .dictionary, .array: return nil
                }
                switch k {
                case "type": type = text
                case "message": message = text
                case "stack": stack = text
                default: return nil
                }
            }
            return .error(type: type, message: message, stack: stack)
        case .array:
            return nil
        }
    }
}
