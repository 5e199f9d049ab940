#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A wall-clock instant with microsecond precision, as Keel writes it.
public struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Microseconds since 1970-01-01T00:00:00Z.
    public var microsecondsSinceEpoch: Int64

    public init(microsecondsSinceEpoch: Int64) { self.microsecondsSinceEpoch = microsecondsSinceEpoch }

    /// As Keel writes it: RFC 3339, UTC, six fractional digits (`2026-01-02T03:04:05.123456Z`).
    public var description: String {
        var out = OutputBuffer(capacity: 32)
        defer { out.deallocate() }
        out.appendRFC3339(self)
        return String(decoding: out.bytes, as: UTF8.self)
    }

    /// The current time from `CLOCK_REALTIME` (a vDSO call, no syscall).
    @inline(__always)
    public static func now() -> Timestamp {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Timestamp(microsecondsSinceEpoch: Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000)
    }

    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.microsecondsSinceEpoch < b.microsecondsSinceEpoch }

    /// Floor division and its remainder, which cannot overflow for any time (a block read from disk may hold any).
    var seconds: Int64 {
        let (quotient, remainder) = microsecondsSinceEpoch.quotientAndRemainder(dividingBy: 1_000_000)
        return remainder < 0 ? quotient - 1 : quotient
    }
    var microsecondOfSecond: Int {
        let remainder = microsecondsSinceEpoch % 1_000_000
        return Int(remainder < 0 ? remainder + 1_000_000 : remainder)
    }

    /// Civil date and time in UTC (Howard Hinnant's `civil_from_days`), with no calendar object and no allocation.
    var civil: (year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) {
        let secs = seconds
        var days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400
        let secOfDay = Int(secs - days * 86400)
        days += 719_468
        let era = (days >= 0 ? days : days - 146_096) / 146_097
        let doe = days - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = Int(doy - (153 * mp + 2) / 5 + 1)
        let month = Int(mp < 10 ? mp + 3 : mp - 9)
        let year = Int(yoe + era * 400) + (month <= 2 ? 1 : 0)
        return (year, month, day, secOfDay / 3600, (secOfDay % 3600) / 60, secOfDay % 60)
    }
}

extension OutputBuffer {
    /// Appends `2026-01-02T03:04:05.123456Z` (no quotes).
    package mutating func appendRFC3339(_ t: Timestamp) {
        appendRFC3339Seconds(t)
        appendPadded(t.microsecondOfSecond, width: 6)
        append(UInt8(ascii: "Z"))
    }

    /// Appends `2026-01-02T03:04:05.` — the part that changes once a second, which callers cache.
    mutating func appendRFC3339Seconds(_ t: Timestamp) {
        let c = t.civil
        appendPadded(c.year, width: 4)
        append(UInt8(ascii: "-"))
        appendPadded(c.month, width: 2)
        append(UInt8(ascii: "-"))
        appendPadded(c.day, width: 2)
        append(UInt8(ascii: "T"))
        appendPadded(c.hour, width: 2)
        append(UInt8(ascii: ":"))
        appendPadded(c.minute, width: 2)
        append(UInt8(ascii: ":"))
        appendPadded(c.second, width: 2)
        append(UInt8(ascii: "."))
    }
}

extension Timestamp {
    /// `20261123T015800.123456Z`: a UTC time for file names (sorts as it reads, no `:`).
    static func compactUTC(seconds: Int, micros: Int) -> String {
        let c = Timestamp(microsecondsSinceEpoch: Int64(seconds) * 1_000_000).civil
        func pad(_ v: Int, _ width: Int) -> String {
            let text = String(v)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return pad(c.year, 4) + pad(c.month, 2) + pad(c.day, 2) + "T" + pad(c.hour, 2) + pad(c.minute, 2)
            + pad(c.second, 2) + "." + pad(micros, 6) + "Z"
    }

    /// Days since 1970-01-01 of a civil UTC date (Howard Hinnant's `days_from_civil`).
    static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
