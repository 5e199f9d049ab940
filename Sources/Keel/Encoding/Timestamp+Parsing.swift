extension Timestamp {
    /// Parses an RFC 3339 date-time — `2026-01-02T03:04:05Z`, with an optional fraction (digits past the sixth are
    /// dropped) and a `Z` or `±hh:mm` offset; `t` and `z` in lower case too. `nil` for anything else, including
    /// out-of-range fields.
    public init?(rfc3339 text: some StringProtocol) {
        var text = String(text)
        guard let micros = text.withUTF8({ Self.rfc3339Microseconds($0) }) else { return nil }
        self.init(microsecondsSinceEpoch: micros)
    }

    /// The same parse from UTF-8 bytes (ingest reads timestamps where they lie in a request, without a `String`).
    package init?(rfc3339 utf8: UnsafeBufferPointer<UInt8>) {
        guard let micros = Self.rfc3339Microseconds(utf8) else { return nil }
        self.init(microsecondsSinceEpoch: micros)
    }

    private static func rfc3339Microseconds(_ b: UnsafeBufferPointer<UInt8>) -> Int64? {
        func digits(_ at: Int, _ count: Int) -> Int? {
            guard at + count <= b.count else { return nil }
            var value = 0
            for i in at..<(at + count) {
                guard b[i] >= UInt8(ascii: "0"), b[i] <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(b[i] - UInt8(ascii: "0"))
            }
            return value
        }
        guard b.count >= 20, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"),
            b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t"), b[13] == UInt8(ascii: ":"),
            b[16] == UInt8(ascii: ":"), let year = digits(0, 4), let month = digits(5, 2), let day = digits(8, 2),
            let hour = digits(11, 2), let minute = digits(14, 2), let second = digits(17, 2),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var i = 19
        var micros = 0
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            var scale = 100_000
            let start = i
            while i < b.count, b[i] >= UInt8(ascii: "0"), b[i] <= UInt8(ascii: "9") {
                micros += Int(b[i] - UInt8(ascii: "0")) * scale
                scale /= 10
                i += 1
            }
            guard i > start else { return nil }
        }
        var offsetSeconds = 0
        guard i < b.count else { return nil }
        switch b[i] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            i += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard let h = digits(i + 1, 2), i + 3 < b.count, b[i + 3] == UInt8(ascii: ":"), let m = digits(i + 4, 2),
                h < 24, m < 60
            else { return nil }
            offsetSeconds = (h * 3600 + m * 60) * (b[i] == UInt8(ascii: "-") ? -1 : 1)
            i += 6
        default:
            return nil
        }
        guard i == b.count else { return nil }
        let days = daysSinceEpoch(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + min(second, 59) - offsetSeconds
        return Int64(seconds) * 1_000_000 + Int64(micros)
    }
}

extension Timestamp {
    /// A time as a foreign record gives it: RFC 3339 text, or seconds, milliseconds, microseconds or nanoseconds
    /// since the epoch as a number or numeric text (told apart by size, as zap's float seconds and pino's
    /// milliseconds need). `nil` for anything else, for times before 1970 and for times past year 5138.
    package init?(foreign value: JSONValue) {
        let micros: Int64?
        switch value {
        case .string(let text): micros = Timestamp(rfc3339: text)?.microsecondsSinceEpoch ?? Double(text).flatMap(Self.epoch)
        case .number(let text): micros = Double(text).flatMap(Self.epoch)
        default: micros = nil
        }
        guard let micros else { return nil }
        self.init(microsecondsSinceEpoch: micros)
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
}
