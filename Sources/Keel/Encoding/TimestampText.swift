/// Writes times as RFC 3339 (`2026-01-02T03:04:05.123456Z`), formatting the date and time of day once a second: the
/// times a writer meets one after another mostly share their second, and the calendar arithmetic cost more than the
/// rest of a line's envelope. Its buffer is freed by ``deallocate()``.
package struct TimestampText: ~Copyable {
    /// The second whose `YYYY-MM-DDTHH:MM:SS.` is in `prefix`.
    private var second: Int64 = .min
    private var prefix = OutputBuffer(capacity: 32)

    package init() {}

    package mutating func append(_ time: Timestamp, to out: inout OutputBuffer) {
        let second = time.seconds
        if second != self.second {
            prefix.removeAll()
            prefix.appendRFC3339Seconds(time)
            self.second = second
        }
        prefix.withUnsafeBytes { out.append($0) }
        out.appendPadded(time.microsecondOfSecond, width: 6)
        out.append(UInt8(ascii: "Z"))
    }

    /// Frees the buffer. The text must not be used afterwards.
    package func deallocate() { prefix.deallocate() }
}
