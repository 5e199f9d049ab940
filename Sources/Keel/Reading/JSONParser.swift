/// A strict JSON (RFC 8259) parser over bytes, for reading log lines.
///
/// Strict so that `keel lint` and ingest can trust what it accepts: no trailing commas, no comments, no NaN,
/// nothing after the value but whitespace, and a nesting limit. Invalid UTF-8 inside strings is an error
/// (``Options/repairUTF8`` replaces it with U+FFFD instead, for readers that must show what is there).
public struct JSONParser {
    public struct Options: Sendable {
        public var maxDepth = 64
        public var repairUTF8 = false
        public init(maxDepth: Int = 64, repairUTF8: Bool = false) {
            self.maxDepth = maxDepth
            self.repairUTF8 = repairUTF8
        }
    }

    public struct Error: Swift.Error, CustomStringConvertible, Sendable, Equatable {
        public let offset: Int
        public let reason: String
        public var description: String { "invalid JSON at byte \(offset): \(reason)" }
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private let options: Options
    private var i = 0

    private init(_ bytes: UnsafeBufferPointer<UInt8>, options: Options) {
        self.bytes = bytes
        self.options = options
    }

    /// Parses one JSON value that fills `bytes` (surrounding whitespace allowed).
    public static func parse(_ bytes: UnsafeRawBufferPointer, options: Options = Options()) throws(Error) -> JSONValue {
        var parser = JSONParser(bytes.bindMemory(to: UInt8.self), options: options)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.i == parser.bytes.count else { throw parser.error("unexpected text after the value") }
        return value
    }

    public static func parse(_ text: String, options: Options = Options()) throws(Error) -> JSONValue {
        var text = text
        let result: Result<JSONValue, Error> = text.withUTF8 { buffer in
            do throws(Error) {
                return .success(try parse(UnsafeRawBufferPointer(buffer), options: options))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    public static func parse(_ bytes: [UInt8], options: Options = Options()) throws(Error) -> JSONValue {
        let result: Result<JSONValue, Error> = bytes.withUnsafeBytes { buffer in
            do throws(Error) {
                return .success(try parse(buffer, options: options))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    private func error(_ reason: String) -> Error { Error(offset: i, reason: reason) }

    private mutating func skipWhitespace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
    }

    private mutating func parseValue(depth: Int) throws(Error) -> JSONValue {
        guard i < bytes.count else { throw error("unexpected end of input") }
        switch bytes[i] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expect("true"); return .bool(true)
        case UInt8(ascii: "f"): try expect("false"); return .bool(false)
        case UInt8(ascii: "n"): try expect("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw error("unexpected character")
        }
    }

    private mutating func expect(_ word: StaticString) throws(Error) {
        let n = word.utf8CodeUnitCount
        guard i + n <= bytes.count else { throw error("unexpected end of input") }
        for k in 0..<n where bytes[i + k] != word.utf8Start[k] { throw error("unexpected character") }
        i += n
    }

    private mutating func parseObject(depth: Int) throws(Error) -> JSONValue {
        guard depth <= options.maxDepth else { throw error("nesting deeper than \(options.maxDepth)") }
        i += 1
        var members: [(key: String, value: JSONValue)] = []
        skipWhitespace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "}") {
            i += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw error("expected a string key") }
            let key = try parseString()
            skipWhitespace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw error("expected ':'") }
            i += 1
            skipWhitespace()
            members.append((key, try parseValue(depth: depth)))
            skipWhitespace()
            guard i < bytes.count else { throw error("unexpected end of input") }
            if bytes[i] == UInt8(ascii: ",") {
                i += 1
                continue
            }
            guard bytes[i] == UInt8(ascii: "}") else { throw error("expected ',' or '}'") }
            i += 1
            return .object(members)
        }
    }

    private mutating func parseArray(depth: Int) throws(Error) -> JSONValue {
        guard depth <= options.maxDepth else { throw error("nesting deeper than \(options.maxDepth)") }
        i += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "]") {
            i += 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue(depth: depth))
            skipWhitespace()
            guard i < bytes.count else { throw error("unexpected end of input") }
            if bytes[i] == UInt8(ascii: ",") {
                i += 1
                continue
            }
            guard bytes[i] == UInt8(ascii: "]") else { throw error("expected ',' or ']'") }
            i += 1
            return .array(elements)
        }
    }

    private mutating func parseNumber() throws(Error) -> String {
        let start = i
        if bytes[i] == UInt8(ascii: "-") { i += 1 }
        func digits(_ p: inout Int) -> Int {
            let s = p
            while p < bytes.count, bytes[p] >= UInt8(ascii: "0"), bytes[p] <= UInt8(ascii: "9") { p += 1 }
            return p - s
        }
        guard i < bytes.count else { throw error("invalid number") }
        if bytes[i] == UInt8(ascii: "0") {
            i += 1
        } else if digits(&i) == 0 {
            throw error("invalid number")
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            guard digits(&i) > 0 else { throw error("invalid number") }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard digits(&i) > 0 else { throw error("invalid number") }
        }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
    }

    private mutating func parseString() throws(Error) -> String {
        i += 1
        let start = i
        // Fast path: no escapes.
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") {
                let raw = UnsafeBufferPointer(rebasing: bytes[start..<i])
                i += 1
                return try makeString(raw, at: start)
            }
            if b == UInt8(ascii: "\\") { break }
            if b < 0x20 { throw error("control character in string") }
            i += 1
        }
        var scalars: [UInt8] = Array(UnsafeBufferPointer(rebasing: bytes[start..<i]))
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") {
                i += 1
                return try scalars.withUnsafeBufferPointer { buffer throws(Error) in try makeString(buffer, at: start) }
            }
            if b < 0x20 { throw error("control character in string") }
            if b != UInt8(ascii: "\\") {
                scalars.append(b)
                i += 1
                continue
            }
            try Self.decodeEscape(bytes, at: &i, repairUTF8: options.repairUTF8) { scalars.append($0) }
        }
        throw error("unterminated string")
    }

    /// Decodes the escape sequence at `i` (a backslash) in a string, passing the UTF-8 bytes it stands for to
    /// `append`, and moves `i` past it. Shared by this parser, the redactor that reads JSON text directly and the
    /// server's ingest scanner. A lone surrogate is an error (its reason names the surrogate), or U+FFFD when
    /// `repairUTF8`.
    package static func decodeEscape(
        _ bytes: UnsafeBufferPointer<UInt8>, at i: inout Int, repairUTF8: Bool, append: (UInt8) -> Void
    ) throws(Error) {
        i += 1
        guard i < bytes.count else { throw Error(offset: i, reason: "unterminated string") }
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
                    guard (0xDC00..<0xE000).contains(low) else { throw Error(offset: i, reason: "invalid surrogate pair") }
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                } else if repairUTF8 {
                    code = 0xFFFD
                } else {
                    throw Error(offset: i, reason: "lone surrogate")
                }
            } else if (0xDC00..<0xE000).contains(code) {
                guard repairUTF8 else { throw Error(offset: i, reason: "lone surrogate") }
                code = 0xFFFD
            }
            for unit in UTF8.encode(Unicode.Scalar(code)!)! { append(unit) }
        default:
            throw Error(offset: i, reason: "invalid escape")
        }
    }

    private static func hex4(_ bytes: UnsafeBufferPointer<UInt8>, at i: inout Int) throws(Error) -> UInt32 {
        guard i + 4 <= bytes.count else { throw Error(offset: i, reason: "invalid \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[i]
            let d: UInt32
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(b - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(b - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(b - UInt8(ascii: "A") + 10)
            default: throw Error(offset: i, reason: "invalid \\u escape")
            }
            v = v << 4 | d
            i += 1
        }
        return v
    }

    private func makeString(_ raw: UnsafeBufferPointer<UInt8>, at start: Int) throws(Error) -> String {
        // Validated without the generic `String(validating:as:)`, which looks up type metadata on every call.
        if (try? UTF8Span(validating: raw.span)) != nil { return String(decoding: raw, as: UTF8.self) }
        guard options.repairUTF8 else { throw Error(offset: start, reason: "invalid UTF-8 in string") }
        return String(decoding: raw, as: UTF8.self)
    }
}
