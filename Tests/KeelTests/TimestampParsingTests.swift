import Keel
import Testing

@Suite struct TimestampParsingTests {
    @Test func rfc3339RoundTripsAndOffsetsAreApplied() throws {
        let t = Timestamp(microsecondsSinceEpoch: 1_795_440_558_123_456)
        var out = OutputBuffer(capacity: 32)
        defer { out.deallocate() }
        out.appendRFC3339(t)
        let text = String(decoding: out.bytes, as: UTF8.self)
        #expect(Timestamp(rfc3339: text) == t)
        #expect(Timestamp(rfc3339: "1970-01-01T00:00:00Z")?.microsecondsSinceEpoch == 0)
        #expect(Timestamp(rfc3339: "1970-01-01T01:00:00+01:00")?.microsecondsSinceEpoch == 0)
        #expect(Timestamp(rfc3339: "1969-12-31T19:00:00-05:00")?.microsecondsSinceEpoch == 0)
        #expect(Timestamp(rfc3339: "1970-01-01t00:00:00.5z")?.microsecondsSinceEpoch == 500_000)
        #expect(Timestamp(rfc3339: "1970-01-01T00:00:00.123456789Z")?.microsecondsSinceEpoch == 123_456)
    }

    @Test func malformedTimestampsAreRefused() {
        for text in [
            "", "2026-11-23", "2026-11-23T10:00:00", "2026-13-01T00:00:00Z", "2026-11-23T25:00:00Z",
            "2026-11-23T10:00:00.Z", "2026-11-23T10:00:00Zjunk", "2026/11/23T10:00:00Z", "2026-11-23T10:00:00+0100",
        ] {
            #expect(Timestamp(rfc3339: text) == nil, "\(text)")
        }
    }
}
