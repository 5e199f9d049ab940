import Foundation
import Keel
@testable import KeelServer
@testable import KeelWire
import Testing

/// The live tail resumes from `Last-Event-ID` out of the store: no gap and no duplicate, across a reconnect and
/// across a server restart.
@Suite struct TailResumeTests {
    func ids(_ events: [(id: String, data: JSONValue)]) -> [String] { events.compactMap { $0.data["event_id"]?.stringValue } }

    @Test func aReconnectingClientMissesNothingAndSeesNothingTwice() async throws {
        let fixture = try TestServer()
        defer { fixture.remove() }
        try await fixture.run { client in
            _ = try await client.ingest((0..<5).map { keelLine("old-\($0)") }, token: fixture.ingestA)
            // A tail opened now starts with the next event.
            let firstBatch = (0..<3).map { keelLine("first-\($0)") }
            let first = try await client.tail(token: fixture.readA, count: 3) {
                try await Task.sleep(for: .milliseconds(100))
                _ = try await client.ingest(firstBatch, token: fixture.ingestA)
            }
            #expect(ids(first) == ["first-0", "first-1", "first-2"])
            let lastSeen = try #require(first.last?.id)
            // While disconnected, more arrives (and a retry of what was seen, which is not stored again).
            #expect(try await client.ingest(firstBatch, token: fixture.ingestA).json?["duplicates"] == .number("3"))
            _ = try await client.ingest((0..<700).map { keelLine("gap-\($0)") }, token: fixture.ingestA)
            let resumed = try await client.tail(token: fixture.readA, lastEventID: lastSeen, count: 702) {
                try await Task.sleep(for: .milliseconds(100))
                _ = try await client.ingest((0..<2).map { keelLine("live-\($0)") }, token: fixture.ingestA)
            }
            #expect(ids(resumed) == (0..<700).map { "gap-\($0)" } + ["live-0", "live-1"])
            let numbers = resumed.compactMap { Int($0.id) }
            #expect(numbers == numbers.sorted() && Set(numbers).count == numbers.count)
        }
    }

    @Test func theTailResumesAcrossAServerRestart() async throws {
        let fixture = try TestServer()
        defer { fixture.remove() }
        let seen = LastID()
        try await fixture.run { client in
            let events = try await client.tail(token: fixture.readA, count: 2) {
                try await Task.sleep(for: .milliseconds(100))
                _ = try await client.ingest([keelLine("before-0"), keelLine("before-1")], token: fixture.ingestA)
            }
            #expect(ids(events) == ["before-0", "before-1"])
            seen.value = events.last?.id
            _ = try await client.ingest([keelLine("while-down-0")], token: fixture.ingestA)
        }
        // A new server process on the same data directory (forget, and a whole day dropped, keep numbers going up).
        try await fixture.run { client in
            _ = try await client.ingest([keelLine("after-0")], token: fixture.ingestA)
            let resumed = try await client.tail(token: fixture.readA, lastEventID: seen.value, count: 2)
            #expect(ids(resumed) == ["while-down-0", "after-0"])
        }
    }

    /// An append wakes the tenant's open tails: with the tail's own look-around a minute apart, an event still
    /// arrives at once, and a closed tail leaves nothing registered.
    @Test func anAppendWakesTheTailAtOnce() async throws {
        let fixture = try TestServer { $0.tailPollInterval = .seconds(60) }
        defer { fixture.remove() }
        try await fixture.run { client in
            let clock = ContinuousClock()
            let started = clock.now
            // Anything well under the minute of the tail's own look-around shows the append woke it; 30 s leaves
            // room for a debug build under the whole suite's load on two cores.
            let events = try await client.tail(token: fixture.readA, count: 2, timeout: .seconds(30)) {
                try await Task.sleep(for: .milliseconds(100))
                _ = try await client.ingest([keelLine("woken-0")], token: fixture.ingestA)
                try await Task.sleep(for: .milliseconds(100))
                _ = try await client.ingest([keelLine("woken-1")], token: fixture.ingestA)
            }
            #expect(ids(events) == ["woken-0", "woken-1"])
            #expect(clock.now - started < .seconds(30))
            // The tail's registration goes with it (the server notices on its next write or wake-up).
            _ = try await client.ingest([keelLine("after-close")], token: fixture.ingestA)
            var registered = client.server.arrivals.registered
            for _ in 0..<50 where registered != 0 {
                try await Task.sleep(for: .milliseconds(100))
                _ = try await client.ingest([keelLine("nudge-\(registered)-\(Int.random(in: 0..<1_000_000))")], token: fixture.ingestA)
                registered = client.server.arrivals.registered
            }
            #expect(registered == 0)
        }
    }

    @Test func filtersApplyToTheTail() async throws {
        let fixture = try TestServer()
        defer { fixture.remove() }
        try await fixture.run { client in
            let events = try await client.tail(token: fixture.readA, query: "level=error&q=disk", count: 2) {
                try await Task.sleep(for: .milliseconds(100))
                _ = try await client.ingest(
                    [keelLine("x-1", message: "disk full", level: "ERROR"), keelLine("x-2", message: "disk ok"),
                     keelLine("x-3", message: "cpu hot", level: "ERROR"), keelLine("x-4", message: "Disk gone", level: "CRITICAL")],
                    token: fixture.ingestA)
            }
            #expect(ids(events) == ["x-1", "x-4"])
        }
    }

    /// With `query`, the tail follows a LogQL log query (what the web UI's live tail sends): only the lines it keeps,
    /// as its pipeline makes them, each with its arrival number, resumable like any tail.
    @Test func aTailFollowsALogQLQuery() async throws {
        let fixture = try TestServer()
        defer { fixture.remove() }
        try await fixture.run { client in
            let query = "query=" + #"{level="ERROR"} |= "disk""#.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let lines = [
                keelLine("y-1", message: "disk full", level: "ERROR"), keelLine("y-2", message: "disk ok"),
                keelLine("y-3", message: "cpu hot", level: "ERROR"), keelLine("y-4", message: "disk gone", level: "ERROR"),
            ]
            let events = try await client.tail(token: fixture.readA, query: query, count: 2) {
                try await Task.sleep(for: .milliseconds(100))
                _ = try await client.ingest(lines, token: fixture.ingestA)
            }
            #expect(ids(events) == ["y-1", "y-4"])
            // Resumed after the first: the second again, and what came since.
            let resumed = try await client.tail(token: fixture.readA, lastEventID: events[0].id, query: query, count: 2) {
                try await Task.sleep(for: .milliseconds(100))
                _ = try await client.ingest([keelLine("y-5", message: "disk again", level: "ERROR")], token: fixture.ingestA)
            }
            #expect(ids(resumed) == ["y-4", "y-5"])
            #expect(try await client.send("/v1/tail?query=" + "sum(rate({level=\"ERROR\"}[1m]))".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!, token: fixture.readA).status == 400)
            #expect(try await client.send("/v1/tail?query=%7Blevel", token: fixture.readA).status == 400)
        }
    }

    @Test func aBadLastEventIDIsRefused() async throws {
        let fixture = try TestServer()
        defer { fixture.remove() }
        try await fixture.run { client in
            let reply = try await client.send("/v1/tail", token: fixture.readA, headers: [("Last-Event-ID", "banana")])
            #expect(reply.status == 400)
        }
    }
}

final class LastID: @unchecked Sendable {
    var value: String?
}
