import Keel

/// Times and steps as Loki's HTTP API reads them.
public enum LokiTime {
    /// A time parameter in nanoseconds: a Unix time in seconds with a fraction (`1700000000.5`), an integer (seconds
    /// when it has at most ten digits, nanoseconds otherwise) or RFC 3339 (`2026-12-01T10:00:00Z`), as Loki's
    /// `parseTimestamp`; `nil` when it is none of these or out of range.
    public static func nanoseconds(_ text: String) -> Int64? {
        if text.contains("."), let seconds = Double(text), seconds.isFinite, abs(seconds) < 9.2e9 {
            return Int64((seconds * 1e9).rounded())
        }
        if let integer = Int64(text) {
            guard text.count <= 10 else { return integer }
            let (ns, overflow) = integer.multipliedReportingOverflow(by: 1_000_000_000)
            return overflow ? nil : ns
        }
        guard let time = Timestamp(rfc3339: text) else { return nil }
        let (ns, overflow) = time.microsecondsSinceEpoch.multipliedReportingOverflow(by: 1000)
        return overflow ? nil : ns
    }

    /// A step or a duration parameter in nanoseconds: seconds (`15`, `0.5`) or a duration (`5m`, `1h`).
    public static func step(_ text: String) -> Int64? {
        if let seconds = Double(text), seconds.isFinite, seconds > 0, seconds < 9.2e9 { return Int64((seconds * 1e9).rounded()) }
        return LogQLDuration.nanoseconds(text).flatMap { $0 > 0 ? $0 : nil }
    }

    /// Loki's default step for a range: a 250th of it, at least a second.
    public static func defaultStep(start: Int64, end: Int64) -> Int64 {
        let seconds = max((end &- start) / 1_000_000_000 / 250, 1)
        return seconds &* 1_000_000_000
    }
}
