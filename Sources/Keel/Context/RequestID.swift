/// Request ids taken from a caller's headers (`X-Request-ID`, `X-Correlation-ID`) or made when there is none.
///
/// An incoming id is echoed into every line and into the response, so it is accepted only when it is short and
/// made of characters that are safe everywhere it goes (a log line, a header, a URL, a terminal): letters, digits,
/// `-`, `_`, `.`, `:`. Anything else — too long, empty, spaces, quotes, control characters, non-ASCII — is
/// ignored and a new id is made, so a caller can never inject text through it.
package enum RequestID {
    /// The longest incoming id accepted.
    package static let maximumLength = 128

    /// `candidate` when it is a well-formed request id, otherwise `nil`.
    package static func accepting(_ candidate: some StringProtocol) -> String? {
        let utf8 = candidate.utf8
        guard !utf8.isEmpty, utf8.count <= maximumLength else { return nil }
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: ":"):
                continue
            default:
                return nil
            }
        }
        return String(candidate)
    }

    /// A new id: a time-ordered UUID (version 7), the same kind as `event_id`, so ids sort by when they were made.
    package static func make() -> String {
        let time = Timestamp.now()
        let id = EventIDGenerator.next(at: time)
        var out = OutputBuffer(capacity: 36)
        defer { out.deallocate() }
        out.appendUUID(high: id.high, low: id.low)
        return String(decoding: out.bytes, as: UTF8.self)
    }
}
