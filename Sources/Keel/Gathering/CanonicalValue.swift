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

/// How a metadata value becomes a canonical field of a given JSON type.
///
/// Numbers and booleans are accepted as Swift scalars or as strings that spell them exactly (`"200"`, `"true"` —
/// `"\(code)"` is how swift-log users usually write numbers), never from a custom type's `description`, so that
/// what is accepted is always written as the declared type.
enum CanonicalValue {
    /// The slot value for `value` as a field of `type`, or `nil` when it does not fit.
    @inline(__always)
    static func slot(_ value: Logger.MetadataValue, _ type: JSONType) -> SlotValue? {
        switch value {
        case .string(let s):
            switch type {
            case .string: return .string(s)
            case .integer: return Int64(s).map(SlotValue.integer)
            case .number: return Double(s).flatMap { $0.isFinite ? .number($0) : nil }
            case .boolean: return s == "true" ? .boolean(true) : s == "false" ? .boolean(false) : nil
            case .object, .array: return nil
            }
        case .stringConvertible(let c):
            let scalar = Scalar.of(c)
            switch (type, scalar) {
            case (.string, _): return .string(c.description)
            case (.integer, .integer(let i)): return .integer(i)
            case (.integer, .unsigned(let u)): return u <= UInt64(Int64.max) ? .integer(Int64(u)) : nil
            case (.integer, .number(let d)):
                return d.isFinite && d == d.rounded() && abs(d) < 9e15 ? .integer(Int64(d)) : nil
            case (.number, .integer(let i)): return .number(Double(i))
            case (.number, .unsigned(let u)): return .number(Double(u))
            case (.number, .number(let d)): return d.isFinite ? .number(d) : nil
            case (.boolean, .boolean(let b)): return .boolean(b)
            default: return nil
            }
        case .dictionary(let d):
            return type == .object && isErrorObject(d) ? .metadata(value) : nil
        case .array:
            return nil
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
}
