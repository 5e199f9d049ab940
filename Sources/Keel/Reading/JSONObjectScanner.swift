#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a JSON object's top-level members as byte ranges, validating the whole text (grammar, UTF-8, nesting) but
/// building nothing: ingest copies values through instead of making a tree of `String`s per event.
///
/// Acceptance is ``JSONParser``'s without repair: invalid UTF-8 and unpaired surrogate escapes are errors.
package struct JSONObjectScanner {
    /// One member: where its key and value are in the text.
    package struct Member {
        /// The key's bytes between its quotes, escapes as written.
        package var key: Range<Int>
        /// The value's text: a string with its quotes, an object with its braces.
        package var value: Range<Int>
        package var kind: Kind
        /// Whether the key or (for a string) the value holds a backslash escape.
        package var keyEscaped: Bool
        package var valueEscaped: Bool
    }

    package enum Kind {
        case string, number, bool, null, object, array

        /// The schema's name for the type (``JSONType``); `nil` for null.
        package var schemaType: JSONType? {
            switch self {
            case .string: .string
            case .number: .number
            case .bool: .boolean
            case .object: .object
            case .array: .array
            case .null: nil
            }
        }
    }

    package struct Failure: Error {
        package enum Reason { case invalidJSON, invalidUTF8, tooDeep, notAnObject }
        package var reason: Reason
        package var offset: Int
        package var message: String
        package var description: String { "\(message) at byte \(offset)" }
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private let maxDepth: Int
    private var i = 0
    private var escaped = false

    private init(_ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    /// The members of the object `bytes` holds, in order (duplicates kept), appended to `members`.
    package static func members(
        of bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int, into members: inout [Member]
    ) throws(Failure) {
        var scanner = JSONObjectScanner(bytes, maxDepth: maxDepth)
        scanner.skipWhitespace()
        guard scanner.i < bytes.count, bytes[scanner.i] == UInt8(ascii: "{") else {
            // Anything else is refused for what it is: not JSON at all, or JSON that is not an object.
            try scanner.value(depth: 0)
            scanner.skipWhitespace()
            guard scanner.i == bytes.count else { throw scanner.failure(.invalidJSON, "unexpected text after the value") }
            throw Failure(reason: .notAnObject, offset: 0, message: "not a JSON object")
        }
        try scanner.object(depth: 1, listing: true, members: &members)
        scanner.skipWhitespace()
        guard scanner.i == bytes.count else { throw scanner.failure(.invalidJSON, "unexpected text after the value") }
    }

    /// The elements of the array `bytes` holds, in order, as the ranges of their texts, appended to `elements`:
    /// a page of events read without building them (the command line prints each as the server stored it).
    package static func elements(
        ofArray bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int, into elements: inout [Range<Int>]
    ) throws(Failure) {
        var scanner = JSONObjectScanner(bytes, maxDepth: maxDepth)
        scanner.skipWhitespace()
        guard scanner.i < bytes.count, bytes[scanner.i] == UInt8(ascii: "[") else {
            throw Failure(reason: .invalidJSON, offset: scanner.i, message: "not a JSON array")
        }
        try scanner.array(depth: 1, listing: true, elements: &elements)
        scanner.skipWhitespace()
        guard scanner.i == bytes.count else { throw scanner.failure(.invalidJSON, "unexpected text after the value") }
    }

    private func failure(_ reason: Failure.Reason, _ message: String) -> Failure {
        Failure(reason: reason, offset: i, message: message)
    }

    private mutating func skipWhitespace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
    }

    /// Scans one value; returns its kind.
    @discardableResult
    private mutating func value(depth: Int) throws(Failure) -> Kind {
        guard i < bytes.count else { throw failure(.invalidJSON, "unexpected end of input") }
        switch bytes[i] {
        case UInt8(ascii: "{"):
            var unlisted: [Member] = []
            try object(depth: depth + 1, listing: false, members: &unlisted)
            return .object
        case UInt8(ascii: "["):
            var unlisted: [Range<Int>] = []
            try array(depth: depth + 1, listing: false, elements: &unlisted)
            return .array
        case UInt8(ascii: "\""): try string(); return .string
        case UInt8(ascii: "t"): try literal("true"); return .bool
        case UInt8(ascii: "f"): try literal("false"); return .bool
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try number(); return .number
        default: throw failure(.invalidJSON, "unexpected character")
        }
    }

    /// An object from its `{`; its members are appended to `members` when `listing`.
    private mutating func object(depth: Int, listing: Bool, members: inout [Member]) throws(Failure) {
        guard depth <= maxDepth else { throw failure(.tooDeep, "nesting deeper than \(maxDepth)") }
        i += 1
        skipWhitespace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "}") {
            i += 1
            return
        }
        while true {
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw failure(.invalidJSON, "expected a key") }
            let keyStart = i + 1
            try string()
            let key = keyStart..<(i - 1)
            let keyEscaped = escaped
            skipWhitespace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw failure(.invalidJSON, "expected ':'") }
            i += 1
            skipWhitespace()
            let start = i
            let kind = try value(depth: depth)
            if listing {
                members.append(
                    Member(key: key, value: start..<i, kind: kind, keyEscaped: keyEscaped, valueEscaped: kind == .string && escaped))
            }
            skipWhitespace()
            guard i < bytes.count else { throw failure(.invalidJSON, "unexpected end of input") }
            if bytes[i] == UInt8(ascii: ",") {
                i += 1
                skipWhitespace()
            } else if bytes[i] == UInt8(ascii: "}") {
                i += 1
                return
            } else {
                throw failure(.invalidJSON, "expected ',' or '}'")
            }
        }
    }

    /// An array from its `[`; its elements' ranges are appended to `elements` when `listing`.
    private mutating func array(depth: Int, listing: Bool, elements: inout [Range<Int>]) throws(Failure) {
        guard depth <= maxDepth else { throw failure(.tooDeep, "nesting deeper than \(maxDepth)") }
        i += 1
        skipWhitespace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "]") {
            i += 1
            return
        }
        while true {
            let start = i
            try value(depth: depth)
            if listing { elements.append(start..<i) }
            skipWhitespace()
            guard i < bytes.count else { throw failure(.invalidJSON, "unexpected end of input") }
            if bytes[i] == UInt8(ascii: ",") {
                i += 1
                skipWhitespace()
            } else if bytes[i] == UInt8(ascii: "]") {
                i += 1
                return
            } else {
                throw failure(.invalidJSON, "expected ',' or ']'")
            }
        }
    }

    private mutating func literal(_ word: StaticString) throws(Failure) {
        let n = word.utf8CodeUnitCount
        guard i + n <= bytes.count, memcmp(bytes.baseAddress! + i, word.utf8Start, n) == 0 else {
            throw failure(.invalidJSON, "unexpected character")
        }
        i += n
    }

    private mutating func number() throws(Failure) {
        func digits() -> Int {
            let start = i
            while i < bytes.count, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") { i += 1 }
            return i - start
        }
        if bytes[i] == UInt8(ascii: "-") { i += 1 }
        let start = i
        guard digits() > 0 else { throw failure(.invalidJSON, "invalid number") }
        guard bytes[start] != UInt8(ascii: "0") || i - start == 1 else { throw failure(.invalidJSON, "invalid number (leading zero)") }
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            guard digits() > 0 else { throw failure(.invalidJSON, "invalid number") }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard digits() > 0 else { throw failure(.invalidJSON, "invalid number") }
        }
    }

    /// A string from its opening quote to just past its closing one; sets `escaped`. Escapes are checked by the
    /// library's parser (``JSONParser/decodeEscape(_:at:repairUTF8:append:)``) and UTF-8 by the standard library's
    /// validator, as the parser checks them.
    private mutating func string() throws(Failure) {
        let start = i + 1
        i = start
        escaped = false
        var ascii = true
        while i < bytes.count {
            // Eight bytes at a time, straight to the first one that is not plain printable ASCII.
            if i + 8 <= bytes.count {
                let attention = Self.attention(UnsafeRawPointer(bytes.baseAddress! + i).loadUnaligned(as: UInt64.self))
                if attention == 0 {
                    i += 8
                    continue
                }
                i += attention.trailingZeroBitCount >> 3
            }
            switch bytes[i] {
            case UInt8(ascii: "\""):
                if !ascii, (try? UTF8Span(validating: UnsafeBufferPointer(rebasing: bytes[start..<i]).span)) == nil {
                    throw Failure(reason: .invalidUTF8, offset: start, message: "invalid UTF-8 in string")
                }
                i += 1
                return
            case UInt8(ascii: "\\"):
                escaped = true
                do throws(JSONParser.Error) {
                    try JSONParser.decodeEscape(bytes, at: &i, repairUTF8: false) { _ in }
                } catch {
                    throw Failure(
                        reason: error.reason.contains("surrogate") ? .invalidUTF8 : .invalidJSON, offset: error.offset,
                        message: error.reason)
                }
            case ..<0x20:
                throw failure(.invalidJSON, "control character in a string")
            case ..<0x80:
                i += 1
            default:
                ascii = false
                i += 1
            }
        }
        throw failure(.invalidJSON, "unterminated string")
    }

    /// The bytes of `word` (read little-endian) that are a quote, a backslash, a control character or not ASCII,
    /// as their high bits; the lowest set bit marks the first such byte exactly (the bit tricks of "Bit Twiddling
    /// Hacks": a byte below n sets its high bit in `(x - n·0x01…) & ~x`; bits above the first may be spurious).
    @inline(__always)
    static func attention(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let high: UInt64 = 0x8080_8080_8080_8080
        let control = (word &- ones &* 0x20) & ~word
        let quote = word ^ (ones &* 0x22)
        let backslash = word ^ (ones &* 0x5C)
        let zeroQuote = (quote &- ones) & ~quote
        let zeroBackslash = (backslash &- ones) & ~backslash
        return (control | zeroQuote | zeroBackslash | word) & high
    }
}
