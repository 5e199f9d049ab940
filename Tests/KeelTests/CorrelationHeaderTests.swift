import Keel
import Testing

@Suite struct CorrelationHeaderTests {
    @Test func wellFormedRequestIDsAreAcceptedAndOthersRefused() {
        #expect(RequestID.accepting("abc-123_x.y:z") == "abc-123_x.y:z")
        #expect(RequestID.accepting(String(repeating: "a", count: 128)) != nil)
        for bad in ["", String(repeating: "a", count: 129), "has space", "quote\"", "new\nline", "é", "a/b", "<script>"] {
            #expect(RequestID.accepting(bad) == nil, "\(bad)")
        }
    }

    @Test func madeRequestIDsAreUniqueTimeOrderedUUIDs() {
        let ids = (0..<100).map { _ in RequestID.make() }
        #expect(Set(ids).count == 100)
        #expect(ids == ids.sorted())
        #expect(ids.allSatisfy { $0.count == 36 && RequestID.accepting($0) == $0 })
    }

    @Test func traceparentParsesPerTheW3CSpecification() throws {
        let header = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        let parsed = try #require(TraceParent(header: header))
        #expect(parsed.traceID == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(parsed.spanID == "00f067aa0ba902b7")
        #expect(parsed.flags == 1)
        #expect(parsed.header == header)
        // A future version with more fields is read by its first 55 characters.
        #expect(TraceParent(header: "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra") != nil)
        let invalid = [
            "", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-", // version 00 has exactly 55
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", // version ff
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01", // zero trace id
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", // zero parent id
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", // upper case
            "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g",
        ]
        for header in invalid { #expect(TraceParent(header: header) == nil, "\(header)") }
    }

    @Test func aChildKeepsTheTraceWithANewSpan() throws {
        let parent = try #require(TraceParent(header: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"))
        let child = parent.child()
        #expect(child.traceID == parent.traceID)
        #expect(child.spanID != parent.spanID && child.spanID.count == 16)
        #expect(child.flags == 0)
        let fresh = TraceParent.newTrace()
        #expect(TraceParent(header: fresh.header) == fresh)
    }
}

@Suite struct CorrelationRandomTests {
    @Test func newTracesAreDistinctAndValid() throws {
        let traces = (0..<10_000).map { _ in TraceParent.newTrace() }
        #expect(Set(traces.map(\.traceID)).count == 10_000)
        #expect(Set(traces.map(\.spanID)).count == 10_000)
        for trace in traces.prefix(500) { #expect(TraceParent(header: trace.header) == trace) }
    }
}
