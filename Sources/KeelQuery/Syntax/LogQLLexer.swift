/// The tokens of LogQL, with where each starts (for error messages that point at the column).
struct LogQLToken: Equatable {
    enum Kind: Equatable {
        case identifier(String)
        case string(String)
        case number(Double)
        /// Nanoseconds.
        case duration(Int64)
        case bytes(Double)
        /// Punctuation and operators, as written: `{`, `|=`, `>=`, `+` …
        case symbol(String)
        case end
    }

    var kind: Kind
    /// The token's text as written (for durations and sizes, which print back as written).
    var text: String
    var line: Int
    var column: Int

    /// How a parse error names the token, in Loki's words.
    var described: String {
        switch kind {
        case .identifier: "IDENTIFIER"
        case .string: "STRING"
        case .number: "NUMBER"
        case .duration: "DURATION"
        case .bytes: "BYTES"
        case .symbol(let s): s
        case .end: "end of input"
        }
    }
}

/// Why a query cannot be run, worded as Loki words it (`parse error at line 1, col 18: syntax error: unexpected …`):
/// Grafana shows the message as it is.
public struct LogQLError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var line: Int
    public var column: Int

    public init(_ message: String, line: Int, column: Int) {
        self.message = message
        self.line = line
        self.column = column
    }

    public var description: String { "parse error at line \(line), col \(column): \(message)" }
}

/// Splits a query into tokens.
struct LogQLLexer {
    private let bytes: [UInt8]
    private var i = 0
    private var line = 1
    private var lineStart = 0

    init(_ text: String) { bytes = Array(text.utf8) }

    static func tokens(of text: String) throws(LogQLError) -> [LogQLToken] {
        var lexer = LogQLLexer(text)
        var tokens: [LogQLToken] = []
        while true {
            let token = try lexer.next()
            tokens.append(token)
            if token.kind == .end { return tokens }
        }
    }

    /// Where the token being read starts (a string may span lines, so its end is no guide).
    private var tokenLine = 1
    private var tokenColumn = 1

    private func error(_ message: String) -> LogQLError {
        LogQLError("syntax error: \(message)", line: tokenLine, column: tokenColumn)
    }

    private mutating func next() throws(LogQLError) -> LogQLToken {
        skipSpaceAndComments()
        let start = i
        tokenLine = line
        tokenColumn = start - lineStart + 1
        func token(_ kind: LogQLToken.Kind) -> LogQLToken {
            LogQLToken(kind: kind, text: String(decoding: bytes[start..<i], as: UTF8.self), line: tokenLine, column: tokenColumn)
        }
        guard i < bytes.count else { return token(.end) }
        let b = bytes[i]
        if Self.isIdentifierStart(b) {
            while i < bytes.count, Self.isIdentifierStart(bytes[i]) || Self.isDigit(bytes[i]) { i += 1 }
            return token(.identifier(String(decoding: bytes[start..<i], as: UTF8.self)))
        }
        if Self.isDigit(b) || (b == UInt8(ascii: ".") && i + 1 < bytes.count && Self.isDigit(bytes[i + 1])) {
            let kind = try number(from: start)
            return token(kind)
        }
        if b == UInt8(ascii: "\"") || b == UInt8(ascii: "`") {
            let text = try string()
            return token(.string(text))
        }
        for symbol in Self.symbols where matches(symbol) {
            i += symbol.utf8.count
            return token(.symbol(symbol))
        }
        throw error("unexpected character \(String(decoding: [b], as: UTF8.self).debugDescription)")
    }

    /// Longest first, so that `|=` is not read as `|` then `=`.
    private static let symbols = ["|=", "|~", "!=", "!~", "=~", "==", ">=", "<=", "{", "}", "(", ")", "[", "]", ",", "|", "=", ">", "<", "+", "-", "*", "/", "%", "^"]

    private func matches(_ symbol: String) -> Bool {
        let s = Array(symbol.utf8)
        guard i + s.count <= bytes.count else { return false }
        return Array(bytes[i..<(i + s.count)]) == s
    }

    private mutating func skipSpaceAndComments() {
        while i < bytes.count {
            switch bytes[i] {
            case 0x0A:
                i += 1
                line += 1
                lineStart = i
            case 0x20, 0x09, 0x0D:
                i += 1
            case UInt8(ascii: "#"):
                while i < bytes.count, bytes[i] != 0x0A { i += 1 }
            default:
                return
            }
        }
    }

    /// A number, or a duration (`5m`, `1h30m`, `250ms`) or a size (`10KB`, `1.5MiB`) when letters follow it.
    private mutating func number(from start: Int) throws(LogQLError) -> LogQLToken.Kind {
        func digits() { while i < bytes.count, Self.isDigit(bytes[i]) || bytes[i] == UInt8(ascii: ".") { i += 1 } }
        digits()
        // An exponent: `1e3`, `2.5E-2` (but `1e` followed by a letter is not one).
        if i + 1 < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            var j = i + 1
            if j < bytes.count, bytes[j] == UInt8(ascii: "+") || bytes[j] == UInt8(ascii: "-") { j += 1 }
            if j < bytes.count, Self.isDigit(bytes[j]) {
                i = j
                digits()
            }
        }
        let numberText = String(decoding: bytes[start..<i], as: UTF8.self)
        guard i < bytes.count, Self.isLetter(bytes[i]) else {
            guard let value = Double(numberText), value.isFinite else { throw error("invalid number \(numberText)") }
            return .number(value)
        }
        // Letters and digits run on: the whole run is one duration or one size.
        while i < bytes.count, Self.isLetter(bytes[i]) || Self.isDigit(bytes[i]) || bytes[i] == UInt8(ascii: ".") || bytes[i] == 0xC2 || bytes[i] == 0xB5 {
            i += 1
        }
        let text = String(decoding: bytes[start..<i], as: UTF8.self)
        if let ns = LogQLDuration.nanoseconds(text) { return .duration(ns) }
        if let size = LogQLBytes.value(text) { return .bytes(size) }
        throw error("invalid duration or size \(text)")
    }

    /// A double-quoted string with Go's escapes, or a back-quoted raw string.
    private mutating func string() throws(LogQLError) -> String {
        let start = i
        let quote = bytes[i]
        i += 1
        var out: [UInt8] = []
        while i < bytes.count {
            let b = bytes[i]
            if b == quote {
                i += 1
                return String(decoding: out, as: UTF8.self)
            }
            if b == 0x0A {
                line += 1
                lineStart = i + 1
            }
            if quote == UInt8(ascii: "\""), b == UInt8(ascii: "\\") {
                guard i + 1 < bytes.count else { break }
                let e = bytes[i + 1]
                i += 2
                switch e {
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "'"): out.append(e)
                case UInt8(ascii: "u"):
                    guard i + 4 <= bytes.count, let code = UInt32(String(decoding: bytes[i..<(i + 4)], as: UTF8.self), radix: 16),
                        let scalar = Unicode.Scalar(code)
                    else { throw error("invalid escape in string") }
                    out += Array(String(Character(scalar)).utf8)
                    i += 4
                default:
                    // Regular expressions keep their own escapes: `\d`, `\.`, `\\s`.
                    out.append(UInt8(ascii: "\\"))
                    out.append(e)
                }
                continue
            }
            out.append(b)
            i += 1
        }
        throw error("unterminated string")
    }

    private static func isIdentifierStart(_ b: UInt8) -> Bool { isLetter(b) || b == UInt8(ascii: "_") }
    private static func isLetter(_ b: UInt8) -> Bool { (b | 0x20) >= UInt8(ascii: "a") && (b | 0x20) <= UInt8(ascii: "z") }
    private static func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
}

/// Durations as Prometheus and Loki write them: `300ms`, `5m`, `1h30m`, `7d`, `1w`, `1y`.
package enum LogQLDuration {
    private static let units: [(String, Int64)] = [
        ("ns", 1), ("us", 1_000), ("µs", 1_000), ("ms", 1_000_000), ("s", 1_000_000_000), ("m", 60_000_000_000),
        ("h", 3_600_000_000_000), ("d", 86_400_000_000_000), ("w", 604_800_000_000_000), ("y", 31_536_000_000_000_000),
    ]

    /// Nanoseconds, or `nil` when `text` is not a duration (or one too long to count).
    package static func nanoseconds(_ text: String) -> Int64? {
        var rest = Substring(text)
        var total: Int64 = 0
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            let unitText = rest.prefix { !$0.isNumber && $0 != "." }
            guard let unit = units.first(where: { $0.0 == unitText })?.1 else { return nil }
            rest = rest.dropFirst(unitText.count)
            let ns = value * Double(unit)
            guard ns.isFinite, ns < 9.2e18 else { return nil }
            let (sum, overflow) = total.addingReportingOverflow(Int64(ns))
            guard !overflow else { return nil }
            total = sum
        }
        return total
    }

    /// The shortest text that reads back as `ns`: `5m`, `1h30m`, `250ms`.
    package static func text(_ ns: Int64) -> String {
        guard ns > 0 else { return "0s" }
        var rest = ns
        var out = ""
        for (name, unit) in [("h", Int64(3_600_000_000_000)), ("m", 60_000_000_000), ("s", 1_000_000_000), ("ms", 1_000_000), ("us", 1_000), ("ns", 1)]
        where rest >= unit {
            out += "\(rest / unit)\(name)"
            rest %= unit
        }
        return out
    }
}

/// Sizes as Loki writes them (humanize's forms): `512B`, `10KB` (1,000), `10KiB` (1,024), up to `PB`/`PiB`.
package enum LogQLBytes {
    package static func value(_ text: String) -> Double? {
        let number = text.prefix { $0.isNumber || $0 == "." }
        guard !number.isEmpty, let value = Double(number) else { return nil }
        let unit = text.dropFirst(number.count).lowercased()
        let multipliers: [String: Double] = [
            "b": 1, "kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12, "pb": 1e15,
            "kib": 1_024, "mib": 1_048_576, "gib": 1_073_741_824, "tib": 1_099_511_627_776, "pib": 1_125_899_906_842_624,
        ]
        guard let multiplier = multipliers[unit] else { return nil }
        return value * multiplier
    }
}
