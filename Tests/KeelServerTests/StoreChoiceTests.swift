import Foundation
import Keel
import KeelBlockStore
@testable import KeelServer
import KeelStore
import Testing

/// `keel serve` (whose default is the block store) moves a SQLite data directory into the block store on start, and
/// keeps serving when a block is damaged.
struct StoreChoiceTests {
    static let day = Date(timeIntervalSince1970: 1_795_392_000)

    static func lines(_ range: Range<Int>, prefix: String) -> [String] {
        range.map { keelLine("\(prefix)-\($0)", message: "event \($0)", at: day.addingTimeInterval(Double($0))) }
    }

    static func ids(_ events: [JSONValue]) -> [String] { events.compactMap { $0["event_id"]?.stringValue } }

    /// A directory written by the SQLite store is migrated on the first start with the default store, blocks: every
    /// event, in the same order, under the same arrival numbers (a tail resumes where it was), and the old files are
    /// set aside.
    @Test func aSQLiteDataDirectoryIsMigratedIntoBlocksKeepingArrivalNumbers() async throws {
        #expect(ServerConfiguration().store == .blocks)
        let sqlite = try TestServer { $0.store = .sqlite }
        defer { sqlite.remove() }
        var reconfigured = sqlite
        reconfigured.configuration.store = ServerConfiguration().store
        let server = reconfigured
        try await sqlite.run { client async throws in
            #expect(try await client.ingest(Self.lines(0..<30, prefix: "a"), token: server.ingestA).status == 200)
            #expect(try await client.ingest(Self.lines(0..<5, prefix: "b"), token: server.ingestB).status == 200)
            #expect(try await client.ingest(Self.lines(30..<50, prefix: "a"), token: server.ingestA).status == 200)
        }
        #expect(FileManager.default.fileExists(atPath: server.directory + "/events/tenant-a"))
        try await server.run { client async throws in
            #expect(client.server.store is BlockLogStore)
            let a = try await client.events(token: server.readA)
            #expect(Self.ids(a) == Self.lines(0..<50, prefix: "a").indices.map { "a-\($0)" })
            #expect(Self.ids(try await client.events(token: server.readB)) == (0..<5).map { "b-\($0)" })
            // Arrival numbers survived: a tail that had seen the first 40 of tenant-a gets the last 10.
            let resumed = try await client.tail(token: server.readA, lastEventID: "40", count: 10, timeout: .seconds(10))
            #expect(resumed.map(\.id) == (41...50).map(String.init))
            // New events go on after the old numbers.
            #expect(try await client.ingest(Self.lines(50..<51, prefix: "a"), token: server.ingestA).status == 200)
            #expect(client.server.store.newestArrival(tenant: "tenant-a") == 51)
        }
        #expect(!FileManager.default.fileExists(atPath: server.directory + "/events"))
        #expect(FileManager.default.fileExists(atPath: server.directory + "/events-sqlite-migrated/tenant-a"))
        // A second start has nothing to migrate.
        try await server.run { client async throws in
            #expect(try await client.events(token: server.readA).count == 51)
        }
    }

    /// A block that fails its checksum: the server logs it, counts it in /metrics, answers with the other blocks'
    /// events, and goes on ingesting.
    @Test func aFlushThatFailsIsCountedAndNothingIsLost() async throws {
        let server = try TestServer { $0.flushPolicy = FlushPolicy(maximumRows: 16, maximumBytes: 1 << 20, maximumAge: .max / 2) }
        defer { server.remove() }
        try await server.run { client async throws in
            let store = try #require(client.server.store as? BlockLogStore)
            #expect(try await client.ingest(Self.lines(0..<4, prefix: "a"), token: server.ingestA).status == 200)
            store.settle()
            let day = try #require(FileManager.default.contentsOfDirectory(atPath: server.directory + "/blocks/tenant-a").first { Int($0) != nil })
            // The first block's temporary file cannot be written: a directory is in its way.
            let blocked = server.directory + "/blocks/tenant-a/\(day)/1-16.kb.tmp"
            try FileManager.default.createDirectory(atPath: blocked, withIntermediateDirectories: false)
            #expect(try await client.ingest(Self.lines(4..<20, prefix: "a"), token: server.ingestA).status == 200)
            store.settle()
            let metrics = try await client.send("/metrics", token: server.adminA)
            // One failure at least: the maintenance timer may have tried too.
            let failures = metrics.text.split(separator: "\n").first { $0.hasPrefix("keel_store_flush_failures ") }
            #expect(failures.flatMap { Double($0.split(separator: " ").last ?? "") }.map { $0 >= 1 } == true, "\(String(describing: failures))")
            #expect(Self.ids(try await client.events(token: server.readA)).count == 20)
            // Once the way is clear, the next flush writes the block.
            try FileManager.default.removeItem(atPath: blocked)
            try store.flush()
            #expect(try FileManager.default.contentsOfDirectory(atPath: server.directory + "/blocks/tenant-a/\(day)").contains { $0.hasSuffix(".kb") })
            #expect(Self.ids(try await client.events(token: server.readA)).count == 20)
        }
    }

    @Test func aDamagedBlockIsSkippedAndCountedAndTheServerGoesOn() async throws {
        let server = try TestServer()
        defer { server.remove() }
        try await server.run { client async throws in
            let store = try #require(client.server.store as? BlockLogStore)
            #expect(try await client.ingest(Self.lines(0..<20, prefix: "a"), token: server.ingestA).status == 200)
            try store.flush()
            #expect(try await client.ingest(Self.lines(20..<40, prefix: "a"), token: server.ingestA).status == 200)
            try store.flush()
            let directory = try #require(FileManager.default.subpathsOfDirectory(atPath: server.directory + "/blocks/tenant-a")
                .filter { $0.hasSuffix(".kb") }.sorted().first)
            let path = server.directory + "/blocks/tenant-a/" + directory
            var bytes = try #require(FileManager.default.contents(atPath: path))
            bytes[bytes.count - 2] ^= 0x01
            try bytes.write(to: URL(fileURLWithPath: path))
            let found = Self.ids(try await client.events(token: server.readA))
            #expect(found.count == 20, "the damaged block's 20 are skipped, the other 20 read")
            let metrics = try await client.send("/metrics", token: server.adminA)
            #expect(metrics.text.contains("keel_store_damaged_blocks 1"))
            #expect(try await client.ingest(Self.lines(40..<41, prefix: "a"), token: server.ingestA).status == 200)
            #expect(Self.ids(try await client.events(token: server.readA)).count == 21)
        }
    }
}
