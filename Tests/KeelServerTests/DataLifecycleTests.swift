import Foundation
import Keel
@testable import KeelServer
@testable import KeelWire
import KeelStore
import Testing

/// Retention drops whole old days per tenant; export streams what was asked; forget counts first, deletes on
/// request, and always leaves an audit event.
@Suite struct DataLifecycleTests {
    static let day: TimeInterval = 86_400

    @Test func retentionDropsWholeDaysOlderThanEachTenantsLimit() async throws {
        let fixture = try TestServer { configuration in
            configuration.retentionDays = 7
            configuration.retentionByTenant = ["tenant-b": 2]
        }
        defer { fixture.remove() }
        let now = Date()
        // Each event is within its tenant's retention when sent (older ones are refused at ingest); retention runs
        // a day and a half later, when some have aged out. The margins keep whole days on the right side.
        let later = Timestamp.now().microsecondsSinceEpoch + Int64(1.5 * Self.day * 1_000_000)
        try await fixture.run { client in
            for (age, id) in [(6.9, "old"), (3.0, "three"), (1.0, "one"), (0.0, "today")] {
                let reply = try await client.ingest([keelLine("a-\(id)", at: now.addingTimeInterval(-age * Self.day))], token: fixture.ingestA)
                #expect(reply.json?["stored"]?.doubleValue == 1, "\(reply.text)")
            }
            for (age, id) in [(1.95, "old"), (1.9, "older"), (0.1, "recent"), (0.0, "today")] {
                let reply = try await client.ingest([keelLine("b-\(id)", at: now.addingTimeInterval(-age * Self.day))], token: fixture.ingestB)
                #expect(reply.json?["stored"]?.doubleValue == 1, "\(reply.text)")
            }
            // Older than retention when sent: acknowledging it and deleting it at the next run would be a lie.
            let old = try await client.ingest(
                [keelLine("a-fine", at: now), keelLine("a-ancient", at: now.addingTimeInterval(-7.5 * Self.day))], token: fixture.ingestA)
            #expect(old.status == 200)
            #expect(old.json?["stored"]?.doubleValue == 1)
            #expect(old.json?["errors"]?.arrayValue?.first?["reason"]?.stringValue == "beyond_retention", "\(old.text)")
            let dropped = try await client.server.applyRetention(now: later)
            #expect(dropped["tenant-a"] == 1)
            #expect(dropped["tenant-b"] == 2)
            let a = try await client.events(token: fixture.readA, query: "from=2000-01-01T00:00:00Z")
            #expect(a.compactMap { $0["event_id"]?.stringValue } == ["a-three", "a-one", "a-today", "a-fine"])
            let b = try await client.events(token: fixture.readB, query: "from=2000-01-01T00:00:00Z")
            #expect(b.compactMap { $0["event_id"]?.stringValue } == ["b-recent", "b-today"])
            // A second run finds nothing more to drop.
            #expect(try await client.server.applyRetention(now: later).isEmpty)
        }
    }

    /// A store that fails on its `n`-th read, as a disk error would in the middle of an export.
    final class FailingStore: LogStore, @unchecked Sendable {
        let base: any LogStore
        let failAt: Int
        private let lock = NSLock()
        private var reads = 0
        init(_ base: any LogStore, failAt: Int) {
            self.base = base
            self.failAt = failAt
        }
        struct DiskError: Error {}
        func append(_ events: [StoredEvent]) throws -> AppendResult { try base.append(events) }
        func events(_ query: EventQuery) throws -> EventPage {
            let n = lock.withLock { reads += 1; return reads }
            if n >= failAt { throw DiskError() }
            return try base.events(query)
        }
        func newestArrival(tenant: String) -> Int64 { base.newestArrival(tenant: tenant) }
        func forget(_ request: ForgetRequest, dryRun: Bool) throws -> Int { try base.forget(request, dryRun: dryRun) }
        func dropDays(tenant: String, before cutoff: Int64) throws -> Int { try base.dropDays(tenant: tenant, before: cutoff) }
        func tenants() throws -> [String] { try base.tenants() }
        func sizeInBytes() -> Int64 { base.sizeInBytes() }
    }

    /// An export cut short by a store failure must not look complete: the chunked body is aborted, so a client sees
    /// an error, and `keel export` exits non-zero and leaves no finished file.
    @Test func anExportThatFailsMidwayIsSeenToFail() async throws {
        let fixture = try TestServer()
        defer { fixture.remove() }
        let start = Date(timeIntervalSince1970: 1_795_435_200)
        try await fixture.run { client in
            let lines = (0..<2500).map { n in keelLine("x-\(n)", at: start.addingTimeInterval(Double(n)), extra: "\"run_id\":\"run-1\"") }
            _ = try await client.ingest(lines, token: fixture.ingestA)
        }
        try await fixture.run(store: { FailingStore($0, failAt: 2) }) { client in
            await #expect(throws: (any Error).self) {
                _ = try await client.send("/v1/export?run_id=run-1", token: fixture.readA)
            }
            let file = fixture.directory + "/cut.ndjson"
            let (status, _, err) = try await CommandLineTests.keel(
                ["export", "--run-id", "run-1", "-o", file, "--token", fixture.readA, "--server", "http://127.0.0.1:\(client.port)"])
            #expect(status != 0, "\(err)")
            #expect(err.contains("incomplete") || err.contains("failed"), "\(err)")
            #expect(!FileManager.default.fileExists(atPath: file), "no finished file for a cut-off export")
        }
    }

    @Test func exportStreamsARunOrATimeRangeAsNDJSON() async throws {
        let fixture = try TestServer()
        defer { fixture.remove() }
        try await fixture.run { client in
            let start = Date(timeIntervalSince1970: 1_795_435_200)
            let lines = (0..<2500).map { n in
                keelLine("x-\(n)", at: start.addingTimeInterval(Double(n)), extra: n % 2 == 0 ? "\"run_id\":\"run-even\"" : "\"run_id\":\"run-odd\"")
            }
            for chunk in stride(from: 0, to: lines.count, by: 1000) {
                _ = try await client.ingest(Array(lines[chunk..<min(chunk + 1000, lines.count)]), token: fixture.ingestA)
            }
            let run = try await client.send("/v1/export?run_id=run-even", token: fixture.readA)
            #expect(run.status == 200)
            #expect(run.header("Content-Type") == "application/x-ndjson")
            let exported = run.text.split(separator: "\n").map { try? JSONParser.parse(String($0)) }
            #expect(exported.count == 1250)
            #expect(exported.allSatisfy { $0?["run_id"]?.stringValue == "run-even" })
            let range = try await client.send(
                "/v1/export?from=2026-11-23T12:00:10Z&to=2026-11-23T12:00:20Z", token: fixture.readA)
            #expect(range.text.split(separator: "\n").count == 10)
            #expect(try await client.send("/v1/export", token: fixture.readA).status == 400, "an export names what it exports")
        }
    }

    /// Every byte of every file in `directory` (database, WAL, shared memory, anything), searched for `needle`.
    static func filesHolding(_ needle: String, in directory: String) -> [String] {
        let bytes = Array(needle.utf8)
        var found: [String] = []
        let walker = FileManager.default.enumerator(atPath: directory)
        while let name = walker?.nextObject() as? String {
            let path = directory + "/" + name
            guard let data = FileManager.default.contents(atPath: path), data.count >= bytes.count else { continue }
            let hit = data.withUnsafeBytes { raw -> Bool in
                let content = raw.bindMemory(to: UInt8.self)
                var i = 0
                while i + bytes.count <= content.count {
                    if content[i] == bytes[0] && content[i..<(i + bytes.count)].elementsEqual(bytes) { return true }
                    i += 1
                }
                return false
            }
            if hit { found.append(name) }
        }
        return found
    }

    /// Erasure leaves nothing of the erased on disk: not in the database file's freed pages, not in the WAL that
    /// still held the old pages, not in the text index — before it answers, and after a restart.
    @Test func erasedEventsLeaveNoByteInAnyFile() async throws {
        let fixture = try TestServer()
        defer { fixture.remove() }
        let canary = "CANARY-7f3a9e21"
        let start = Date(timeIntervalSince1970: 1_795_435_200)
        try await fixture.run { client in
            let lines = (0..<3000).map { n in
                n % 10 == 0
                    ? keelLine("e-\(n)", message: "order \(canary)-\(n) shipped", at: start.addingTimeInterval(Double(n)),
                               extra: "\"user_id\":\"u-gone\",\"context\":{\"note\":\"\(canary) note\"}")
                    : keelLine("e-\(n)", message: "order \(n) shipped", at: start.addingTimeInterval(Double(n)), extra: "\"user_id\":\"u-\(n)\"")
            }
            for part in stride(from: 0, to: lines.count, by: 500) {
                _ = try await client.ingest(Array(lines[part..<(part + 500)]), token: fixture.ingestA)
            }
            #expect(!Self.filesHolding(canary, in: fixture.directory).isEmpty, "the canary was stored to begin with")
            let reply = try await client.send(
                "/v1/forget", method: .POST, token: fixture.adminA, body: Array("{\"user_id\":\"u-gone\",\"dry_run\":false}".utf8),
                contentType: "application/json")
            #expect(reply.json?["events"]?.doubleValue == 300, "\(reply.text)")
            #expect(Self.filesHolding(canary, in: fixture.directory) == [], "canary bytes remain after erasure")
            #expect(try await client.events(token: fixture.readA, query: "q=\(canary)").isEmpty)
            #expect(try await client.events(token: fixture.readA, query: "q=shipped").count == 2700)
        }
        try await fixture.run { client in
            let left = try await client.events(token: fixture.readA, query: "from=0")
            #expect(left.count == 2701)  // and the audit event
            #expect(Self.filesHolding(canary, in: fixture.directory) == [], "canary bytes after a restart")
        }
        #expect(Self.filesHolding(canary, in: fixture.directory) == [])
    }

    @Test func forgetCountsFirstDeletesOnRequestAndWritesAnAuditEvent() async throws {
        let fixture = try TestServer()
        defer { fixture.remove() }
        try await fixture.run { client in
            let lines = (0..<30).map { n in
                keelLine("f-\(n)", message: n % 3 == 0 ? "user u-42 did \(n)" : "someone else \(n)", extra: n % 3 == 0 ? "\"user_id\":\"u-42\"" : "\"user_id\":\"u-7\"")
            }
            _ = try await client.ingest(lines, token: fixture.ingestA)
            func forget(_ body: String) async throws -> TestServer.Client.Reply {
                try await client.send("/v1/forget", method: .POST, token: fixture.adminA, body: Array(body.utf8), contentType: "application/json")
            }
            let dry = try await forget("{\"user_id\":\"u-42\"}")
            #expect(dry.json?["dry_run"] == .bool(true))
            #expect(dry.json?["events"] == .number("10"))
            #expect(try await client.events(token: fixture.readA, query: "user_id=u-42").count == 10, "a dry run deletes nothing")

            let done = try await forget("{\"user_id\":\"u-42\",\"dry_run\":false}")
            #expect(done.json?["events"] == .number("10"))
            #expect(try await client.events(token: fixture.readA, query: "user_id=u-42").isEmpty)
            #expect(try await client.events(token: fixture.readA, query: "q=u-42").isEmpty, "gone from the text index too")
            #expect(try await client.events(token: fixture.readA, query: "user_id=u-7").count == 20)
            #expect(try await client.events(token: fixture.readA, query: "q=someone").count == 20, "the others stay searchable")
            #expect(try await client.events(token: fixture.readA, query: "q=did").isEmpty)

            let audit = try await client.events(token: fixture.readA, query: "event=data.forgotten")
            #expect(audit.count == 1)
            let record = try #require(audit.first)
            #expect(record["storage_class"]?.stringValue == "audit")
            #expect(record["event_id"]?.stringValue == done.json?["audit_event_id"]?.stringValue)
            #expect(record["context"]?["deleted_events"] == .number("10"))
            #expect(record["context"]?["requested_by"]?.stringValue?.hasPrefix("tok_") == true)
            #expect(!record.jsonText.contains("u-42"), "the audit event does not keep the id it erased")

            // Nothing matched: still answered and audited, never silently nothing.
            let none = try await forget("{\"user_id\":\"nobody\",\"dry_run\":false}")
            #expect(none.status == 200)
            #expect(none.json?["events"] == .number("0"))
            #expect(try await client.events(token: fixture.readA, query: "event=data.forgotten").count == 2)
            #expect(try await forget("{}").status == 400)

            // A whole tenant.
            let tenant = try await forget("{\"whole_tenant\":true,\"dry_run\":false}")
            #expect(tenant.json?["events"] == .number("22"))
            let left = try await client.events(token: fixture.readA)
            #expect(left.map { $0["event"]?.stringValue } == ["data.forgotten"])
        }
    }
}
