#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one reader of JSON text (RFC 8259) in Keel: a cursor over bytes that steps through values and checks them.
///
/// Every consumer drives this reader, so there is one grammar and one acceptance rule: ``JSONParser`` builds a
/// tree with it, ``members(of:maxDepth:into:)`` lists an object's members as byte ranges (ingest copies values
/// through instead of making `String`s), and the redaction engine writes redacted text as it reads.
///
/// Strict: no trailing commas, no comments, no NaN, no leading zeros, nothing after the value but whitespace, a
/// nesting limit, no control characters in strings, and valid UTF-8 with paired surrogate escapes. With
/// `repairUTF8`, invalid UTF-8 and lone surrogate escapes are accepted instead, and decoded as U+FFFD (for readers
/// that must show or redact what is there). Every error says where and why (``JSONParser/Error``).
///
/// A consumer reads a value by asking ``peek()`` what starts there, then: ``string()``, ``number()``, ``literal()``;
/// or ``open(depth:)`` and, for an object, `while try reader.nextMember() { let key = try reader.key(); … }`, for an
/// array `while try reader.nextElement() { … }`; or ``skipValue(depth:)``. ``end()`` checks that nothing follows.
package struct JSONReader {
    /// What kind of value starts at the cursor.
    package enum Kind: Sendable {
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

    /// A string as it stands in the text.
    package struct StringToken {
        /// The bytes between the quotes, escapes as written.
        package var content: Range<Int>
        /// Whether it holds a backslash escape (``decode(_:into:)`` gives its text).
        package var escaped: Bool
        /// Whether its raw bytes are valid UTF-8 (only ever false when repairing).
        package var validUTF8: Bool

        package init(content: Range<Int>, escaped: Bool, validUTF8: Bool) {
            self.content = content
            self.escaped = escaped
            self.validUTF8 = validUTF8
        }
    }

    package let bytes: UnsafeBufferPointer<UInt8>
    package let maxDepth: Int
    package let repairUTF8: Bool
    /// Where the next byte to read is.
    package private(set) var offset = 0
    /// Set by ``open(depth:)``: the next ``nextMember()``/``nextElement()`` is the container's first.
    private var opened = false

    package init(_ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int, repairUTF8: Bool) {
        self.bytes = bytes
        self.maxDepth = maxDepth
        self.repairUTF8 = repairUTF8
    }

    package func error(_ reason: String, _ kind: JSONParser.Error.Kind = .syntax) -> JSONParser.Error {
        JSONParser.Error(offset: offset, reason: reason, kind: kind)
    }

    @inline(__always)
    private mutating func skipWhitespace() {
        while offset < bytes.count, bytes[offset] == 0x20 || bytes[offset] == 0x0A || bytes[offset] == 0x0D || bytes[offset] == 0x09 {
            offset += 1
        }
    }

    /// Skips whitespace and says what kind of value starts there, reading nothing of it.
    @inline(__always)
    package mutating func peek() throws(JSONParser.Error) -> Kind {
        skipWhitespace()
        guard offset < bytes.count else { throw error("unexpected end of input") }
        switch bytes[offset] {
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
        case UInt8(ascii: "n"): return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
        default: throw error("unexpected character")
        }
    }

    /// Checks that only whitespace is left.
    package mutating func end() throws(JSONParser.Error) {
        skipWhitespace()
        guard offset == bytes.count else { throw error("unexpected text after the value") }
    }

    /// Moves the cursor to `offset`: to read one value whose place is already known (``members(of:maxDepth:into:)``).
    package mutating func skip(to offset: Int) { self.offset = offset }

    // MARK: Containers

    /// Opens the object or array at the cursor (after ``peek()``); `depth` is its nesting depth, the outermost
    /// container's being 1.
    @inline(__always)
    package mutating func open(depth: Int) throws(JSONParser.Error) {
        guard depth <= maxDepth else { throw error("nesting deeper than \(maxDepth)", .tooDeep) }
        offset += 1
        opened = true
    }

    /// Whether another member of the open object follows (then ``key()`` reads it); at its `}`, closes it.
    @inline(__always)
    package mutating func nextMember() throws(JSONParser.Error) -> Bool {
        try next(closedBy: UInt8(ascii: "}"), "expected ',' or '}'")
    }

    /// Whether another element of the open array follows (then read it as a value); at its `]`, closes it.
    @inline(__always)
    package mutating func nextElement() throws(JSONParser.Error) -> Bool {
        try next(closedBy: UInt8(ascii: "]"), "expected ',' or ']'")
    }

    @inline(__always)
    private mutating func next(closedBy close: UInt8, _ expected: String) throws(JSONParser.Error) -> Bool {
        skipWhitespace()
        guard offset < bytes.count else { throw error("unexpected end of input") }
        if bytes[offset] == close {
            // An empty container, or the end of a full one.
            offset += 1
            opened = false
            return false
        }
        if opened {
            opened = false
            return true
        }
        guard bytes[offset] == UInt8(ascii: ",") else { throw error(expected) }
        offset += 1
        // What follows a comma must be a member or an element: `{"a":1,}` fails in ``key()`` or ``peek()``.
        skipWhitespace()
        return true
    }

    /// Reads a member's key and the colon after it; the cursor is then at the member's value.
    @inline(__always)
    package mutating func key() throws(JSONParser.Error) -> StringToken {
        try expectKey()
        let key = try string()
        try expectColon()
        return key
    }

    /// Checks that a member's key starts at the cursor, for a caller that reads the key as a string itself (then
    /// ``expectColon()``).
    @inline(__always)
    package func expectKey() throws(JSONParser.Error) {
        guard offset < bytes.count, bytes[offset] == UInt8(ascii: "\"") else { throw error("expected a string key") }
    }

    /// Reads the colon after a member's key.
    @inline(__always)
    package mutating func expectColon() throws(JSONParser.Error) {
        skipWhitespace()
        guard offset < bytes.count, bytes[offset] == UInt8(ascii: ":") else { throw error("expected ':'") }
        offset += 1
    }

    /// Steps over the value at the cursor, checking it as strictly as reading it would; returns its kind. `depth`
    /// is the depth of the container it is in (0 at the top).
    @discardableResult
    package mutating func skipValue(depth: Int) throws(JSONParser.Error) -> Kind {
        let kind = try peek()
        switch kind {
        case .object:
            try open(depth: depth + 1)
            while try nextMember() {
                _ = try key()
                try skipValue(depth: depth + 1)
            }
        case .array:
            try open(depth: depth + 1)
            while try nextElement() { try skipValue(depth: depth + 1) }
        case .string: _ = try string()
        case .number: _ = try number()
        case .bool, .null: _ = try literal()
        }
        return kind
    }

    // MARK: Scalars

    /// Reads `true`, `false` or `null`; returns ``Kind/bool`` or ``Kind/null``.
    @inline(__always)
    package mutating func literal() throws(JSONParser.Error) -> Kind {
        let (word, kind): (StaticString, Kind) =
            switch bytes[offset] {
            case UInt8(ascii: "t"): ("true", .bool)
            case UInt8(ascii: "f"): ("false", .bool)
            default: ("null", .null)
            }
        let n = word.utf8CodeUnitCount
        guard offset + n <= bytes.count, memcmp(bytes.baseAddress! + offset, word.utf8Start, n) == 0 else {
            throw error("unexpected character")
        }
        offset += n
        return kind
    }

    /// Reads a number; returns its text's range.
    @inline(__always)
    package mutating func number() throws(JSONParser.Error) -> Range<Int> {
        let start = offset
        if bytes[offset] == UInt8(ascii: "-") { offset += 1 }
        let integer = offset
        guard digits() > 0 else { throw error("invalid number") }
        guard bytes[integer] != UInt8(ascii: "0") || offset - integer == 1 else { throw error("invalid number (leading zero)") }
        if offset < bytes.count, bytes[offset] == UInt8(ascii: ".") {
            offset += 1
            guard digits() > 0 else { throw error("invalid number") }
        }
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "e") || bytes[offset] == UInt8(ascii: "E") {
            offset += 1
            if offset < bytes.count, bytes[offset] == UInt8(ascii: "+") || bytes[offset] == UInt8(ascii: "-") { offset += 1 }
            guard digits() > 0 else { throw error("invalid number") }
        }
        return start..<offset
    }

    @inline(__always)
    private mutating func digits() -> Int {
        let start = offset
        while offset < bytes.count, bytes[offset] >= UInt8(ascii: "0"), bytes[offset] <= UInt8(ascii: "9") { offset += 1 }
        return offset - start
    }

    /// Reads a string from its opening quote to just past its closing one, checking its escapes and its UTF-8.
    package mutating func string() throws(JSONParser.Error) -> StringToken {
        let start = offset + 1
        var i = start
        var escaped = false
        var ascii = true
        // The bytes stepped over eight at a time, ORed: their high bits say whether any was not ASCII.
        var stepped: UInt64 = 0
        while i < bytes.count {
            // Eight bytes at a time, straight to the first quote, backslash or control character.
            if i + 8 <= bytes.count {
                let word = UnsafeRawPointer(bytes.baseAddress! + i).loadUnaligned(as: UInt64.self)
                let attention = Self.attention(word)
                if attention == 0 {
                    stepped |= word
                    i += 8
                    continue
                }
                let before = attention.trailingZeroBitCount >> 3
                stepped |= word & ((1 << (UInt64(before) << 3)) &- 1)
                i += before
            }
            switch bytes[i] {
            case UInt8(ascii: "\""):
                // Validated without the generic `String(validating:as:)`, which looks up type metadata every call.
                var valid = true
                if !ascii || stepped & 0x8080_8080_8080_8080 != 0, (try? UTF8Span(validating: UnsafeBufferPointer(rebasing: bytes[start..<i]).span)) == nil {
                    guard repairUTF8 else { throw JSONParser.Error(offset: start, reason: "invalid UTF-8 in string", kind: .invalidUTF8) }
                    valid = false
                }
                offset = i + 1
                return StringToken(content: start..<i, escaped: escaped, validUTF8: valid)
            case UInt8(ascii: "\\"):
                escaped = true
                try Self.decodeEscape(bytes, at: &i, repairUTF8: repairUTF8) { _ in }
            case ..<0x20:
                offset = i
                throw error("control character in string")
            case ..<0x80:
                i += 1
            default:
                ascii = false
                i += 1
            }
        }
        offset = i
        throw error("unterminated string")
    }

    /// What a caller found in the bytes between a string's opening quote and the next quote, for
    /// ``string(endingAt:_:)``.
    package enum Span {
        /// A backslash or a control character is among them (or may be): the string must be read byte by byte.
        case needsReading
        /// None of those; every byte is ASCII.
        case ascii
        /// None of those; some bytes are not ASCII (their UTF-8 is still to be checked).
        case text
    }

    /// Where the string at the cursor would end if nothing in it were escaped: its next quote (`bytes.count` when
    /// there is none). A caller that passes over a string's bytes anyway (the redaction engine, for its detectors)
    /// looks at the bytes before it and tells ``string(endingAt:_:)`` what it saw.
    @inline(__always)
    package func nextQuote() -> Int { bytes.next(UInt8(ascii: "\""), from: offset + 1) }

    /// Reads a string as ``string()`` does, taking the word of a caller that has looked at every byte between its
    /// opening quote and `quote` (``nextQuote()``): when it saw no backslash and no control character there, that
    /// is the string, and the reader makes no second pass over it. Otherwise ``string()`` reads it.
    @inline(__always)
    package mutating func string(endingAt quote: Int, _ span: Span) throws(JSONParser.Error) -> StringToken {
        let start = offset + 1
        if quote < bytes.count {
            switch span {
            case .needsReading: break
            case .ascii:
                offset = quote + 1
                return StringToken(content: start..<quote, escaped: false, validUTF8: true)
            case .text:
                let valid = (try? UTF8Span(validating: UnsafeBufferPointer(rebasing: bytes[start..<quote]).span)) != nil
                if valid || repairUTF8 {
                    offset = quote + 1
                    return StringToken(content: start..<quote, escaped: false, validUTF8: valid)
                }
            }
        }
        return try string()
    }

    /// Hands the UTF-8 bytes a string stands for to `append`, escapes decoded (a lone surrogate, when repairing, as
    /// U+FFFD; invalid UTF-8 is passed on as it is, for `String(decoding:as:)` to repair).
    package func decode(_ token: StringToken, into append: (UInt8) -> Void) {
        var i = token.content.lowerBound
        let end = token.content.upperBound
        while i < end {
            if bytes[i] == UInt8(ascii: "\\") {
                // ``string()`` checked every escape: decoding it again cannot fail.
                try? Self.decodeEscape(bytes, at: &i, repairUTF8: repairUTF8, append: append)
            } else {
                append(bytes[i])
                i += 1
            }
        }
    }

    /// The text of a string.
    package func text(of token: StringToken) -> String {
        let raw = UnsafeBufferPointer(rebasing: bytes[token.content])
        guard token.escaped else { return String(decoding: raw, as: UTF8.self) }
        var decoded: [UInt8] = []
        decoded.reserveCapacity(raw.count)
        decode(token) { decoded.append($0) }
        return String(decoding: decoded, as: UTF8.self)
    }

    /// Decodes the escape sequence at `i` (a backslash), passing the UTF-8 bytes it stands for to `append`, and
    /// moves `i` past it.
    private static func decodeEscape(
        _ bytes: UnsafeBufferPointer<UInt8>, at i: inout Int, repairUTF8: Bool, append: (UInt8) -> Void
    ) throws(JSONParser.Error) {
        i += 1
        guard i < bytes.count else { throw JSONParser.Error(offset: i, reason: "unterminated string") }
        let e = bytes[i]
        i += 1
        switch e {
        case UInt8(ascii: "\""): append(0x22)
        case UInt8(ascii: "\\"): append(0x5C)
        case UInt8(ascii: "/"): append(0x2F)
        case UInt8(ascii: "b"): append(0x08)
        case UInt8(ascii: "f"): append(0x0C)
        case UInt8(ascii: "n"): append(0x0A)
        case UInt8(ascii: "r"): append(0x0D)
        case UInt8(ascii: "t"): append(0x09)
        case UInt8(ascii: "u"):
            var code = try hex4(bytes, at: &i)
            if (0xD800..<0xDC00).contains(code) {
                // A high surrogate must be followed by an escaped low surrogate.
                if i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") {
                    i += 2
                    let low = try hex4(bytes, at: &i)
                    guard (0xDC00..<0xE000).contains(low) else {
                        throw JSONParser.Error(offset: i, reason: "invalid surrogate pair", kind: .invalidUTF8)
                    }
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                } else if repairUTF8 {
                    code = 0xFFFD
                } else {
                    throw JSONParser.Error(offset: i, reason: "lone surrogate", kind: .invalidUTF8)
                }
            } else if (0xDC00..<0xE000).contains(code) {
                guard repairUTF8 else { throw JSONParser.Error(offset: i, reason: "lone surrogate", kind: .invalidUTF8) }
                code = 0xFFFD
            }
            for unit in UTF8.encode(Unicode.Scalar(code)!)! { append(unit) }
        default:
            throw JSONParser.Error(offset: i, reason: "invalid escape")
        }
    }

    private static func hex4(_ bytes: UnsafeBufferPointer<UInt8>, at i: inout Int) throws(JSONParser.Error) -> UInt32 {
        guard i + 4 <= bytes.count else { throw JSONParser.Error(offset: i, reason: "invalid \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[i]
            let d: UInt32
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(b - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(b - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(b - UInt8(ascii: "A") + 10)
            default: throw JSONParser.Error(offset: i, reason: "invalid \\u escape")
            }
            v = v << 4 | d
            i += 1
        }
        return v
    }

    /// The bytes of `word` (read little-endian) that are a quote, a backslash or a control character, as their high
    /// bits; the lowest set bit marks the first such byte exactly (the bit tricks of "Bit Twiddling Hacks": a byte
    /// below n sets its high bit in `(x - n·0x01…) & ~x`; bits above the first may be spurious). Bytes that are not
    /// ASCII are not marked: text in any script is stepped over as fast as ASCII, and checked once at its end.
    @inline(__always)
    static func attention(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let high: UInt64 = 0x8080_8080_8080_8080
        let control = (word &- ones &* 0x20) & ~word
        let quote = word ^ (ones &* 0x22)
        let backslash = word ^ (ones &* 0x5C)
        let zeroQuote = (quote &- ones) & ~quote
        let zeroBackslash = (backslash &- ones) & ~backslash
        return (control | zeroQuote | zeroBackslash) & high
    }
}
