import Foundation
import KeelStore
@testable import KeelServer
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A query whose client goes away stops reading the store: nobody's abandoned dashboard keeps a core busy until the
/// query's time limit.
@Suite struct QueryCancellationTests {
    /// A store whose scans take a millisecond an event, and that counts the events they read.
    final class SlowStore: LogStore, @unchecked Sendable {
        let base: any LogStore
        let read = Atomic<Int>(0)
        init(_ base: any LogStore) { self.base = base }
        func scan(_ query: EventQuery, order: ScanOrder, _ body: (Int64, UnsafeBufferPointer<UInt8>) -> Bool) throws {
            try base.scan(query, order: order) { timestamp, line in
                usleep(1000)
                read.add(1, ordering: .relaxed)
                return body(timestamp, line)
            }
        }
        func append(_ events: [StoredEvent]) throws -> AppendResult { try base.append(events) }
        func events(_ query: EventQuery) throws -> EventPage { try base.events(query) }
        func newestArrival(tenant: String) -> Int64 { base.newestArrival(tenant: tenant) }
        func forget(_ request: ForgetRequest, dryRun: Bool) throws -> Int { try base.forget(request, dryRun: dryRun) }
        func dropDays(tenant: String, before cutoff: Int64) throws -> Int { try base.dropDays(tenant: tenant, before: cutoff) }
        func tenants() throws -> [String] { try base.tenants() }
        func sizeInBytes() -> Int64 { base.sizeInBytes() }
    }

    @Test(arguments: [
        "/loki/api/v1/query_range?query=sum%20by%20(level)%20(count_over_time(%7Bservice%3D%22api%22%7D%5B1m%5D))",
        // A regular expression that matches nothing: the store hands every line over (`|= "absent"` would be
        // ruled out by the store before any line is read).
        "/loki/api/v1/query_range?query=%7Bservice%3D%22api%22%7D%20%7C~%20%22absent%22&direction=forward",
        "/v1/query?q=%7Bservice%3D%22api%22%7D%20%7C~%20%22absent%22",
    ])
    func aQueryStopsWhenItsClientGoesAway(path: String) async throws {
        let fixture = try TestServer()
        defer { fixture.remove() }
        let start = Date(timeIntervalSince1970: 1_795_435_200)
        let total = 3000
        try await fixture.run { client in
            for batch in stride(from: 0, to: total, by: 1000) {
                let lines = (batch..<batch + 1000).map { keelLine("q-\($0)", at: start.addingTimeInterval(Double($0)), extra: #""service":"api""#) }
                let reply = try await client.ingest(lines, token: fixture.ingestA)
                #expect(reply.status == 200)
            }
        }
        let range = "&start=\(Int(start.timeIntervalSince1970) - 60)000000000&end=\(Int(start.timeIntervalSince1970) + total + 60)000000000"
        let keelRange = "&from=2026-11-23T00:00:00Z&to=2026-11-24T00:00:00Z"
        let slow = Mutex<SlowStore?>(nil)
        try await fixture.run(store: { base in
            let store = SlowStore(base)
            slow.withLock { $0 = store }
            return store
        }) { client in
            let store = try #require(slow.withLock { $0 })
            // A raw connection asks, then closes without reading the answer (as a browser tab closed mid-query).
            var connection: SlowClientTests.Connection? = try SlowClientTests.Connection(port: client.port)
            connection?.send(
                "GET \(path)\(path.hasPrefix("/v1") ? keelRange : range) HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(fixture.readA)\r\n\r\n")
            let began = ContinuousClock.now
            while store.read.load(ordering: .relaxed) < 100, ContinuousClock.now - began < .seconds(20) {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(store.read.load(ordering: .relaxed) >= 100, "the query never started reading")
            connection = nil
            // The engine polls for its client every 256 events; give it a moment to see the close.
            try await Task.sleep(for: .milliseconds(800))
            let afterClose = store.read.load(ordering: .relaxed)
            try await Task.sleep(for: .seconds(1))
            let later = store.read.load(ordering: .relaxed)
            #expect(later == afterClose, "the query read \(later - afterClose) more events after its client had gone")
            #expect(later < total, "the abandoned query read all \(total) events")
            // The server goes on answering.
            let health = try await client.send("/healthz", token: nil)
            #expect(health.status == 200)
        }
    }
}
