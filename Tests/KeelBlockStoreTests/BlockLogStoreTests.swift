import Foundation
import Keel
@testable import KeelBlockStore
import KeelStore
import KeelTesting
import Synchronization
import Testing

/// Store v2 meets the contract every store must: the same checks the SQLite store passes, unchanged, with blocks as
/// large as in production (everything stays in the heads) and as small as 16 events (every read crosses blocks).
struct BlockLogStoreTests {
    @Test(arguments: [FlushPolicy(), FlushPolicy(maximumRows: 16, maximumBytes: 1 << 20, maximumAge: .max / 2)])
    func meetsTheLogStoreContract(policy: FlushPolicy) {
        let failures = LogStoreConformance.run { try BlockLogStore(directory: $0, durability: .normal, policy: policy) }
        #expect(failures.isEmpty, "\(failures.map(\.description).joined(separator: "\n"))")
    }

    /// After an erasure, no file of the store holds the erased user's events: not a block (each is decoded and
    /// read), not a head's log, not a file left on the side.
    @Test func anErasedUserLeavesNothingInAnyFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keel-blocks-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try BlockLogStore(directory: directory, durability: .full, policy: FlushPolicy(maximumRows: 10, maximumBytes: 1 << 20, maximumAge: .max / 2))
        let start: Int64 = 1_795_392_000_000_000
        let events = try (0..<95).map { n in
            let user = n % 5 == 0 ? "canary-user" : "user-\(n % 3)"
            let secret = n % 5 == 0 ? "CANARY-SECRET-\(n)" : "hay \(n)"
            let line = #"{"timestamp":"\#(Timestamp(microsecondsSinceEpoch: start + Int64(n) * 1_000_000))","level":"INFO","message":"\#(secret)","event_id":"e-\#(n)","user_id":"\#(user)"}"#
            return try StoredEvent(line: line, tenant: "t1")
        }
        _ = try store.append(events)
        #expect(try store.forget(.user(tenant: "t1", userID: "canary-user"), dryRun: false) == 19)
        store.settle()
        var lines: [String] = []
        var raw: [UInt8] = []
        let walker = try #require(FileManager.default.enumerator(atPath: directory))
        while let name = walker.nextObject() as? String {
            let path = directory + "/" + name
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            let bytes = try DurableFiles.read(path)
            raw += bytes
            if BlockFile(name: (name as NSString).lastPathComponent) != nil {
                lines += try EventBlock.decode(try BlockFile.read(bytes).block).map { String(decoding: $0.line, as: UTF8.self) }
            } else if name.hasSuffix("head.log") {
                lines += HeadLogRecords.read(bytes).records.map(\.line)
            }
        }
        #expect(lines.count == 76, "the other users' events are all still there")
        #expect(!lines.contains { $0.contains("CANARY") || $0.contains("canary-user") })
        #expect(!String(decoding: raw, as: UTF8.self).contains("CANARY"), "no file holds the canary in the clear")
        #expect(try LogStoreConformance.all(store, EventQuery(tenant: "t1")).count == 76)
    }

    static func directory() -> String { FileManager.default.temporaryDirectory.appendingPathComponent("keel-blocks-\(UUID())").path }

    static let start: Int64 = 1_795_392_000_000_000

    static func events(_ range: Range<Int>, tenant: String = "t1", spread: Int64 = 1_000_000) throws -> [StoredEvent] {
        try range.map { n in
            let time = start + Int64(n) * spread
            let line = #"{"timestamp":"\#(Timestamp(microsecondsSinceEpoch: time))","level":"INFO","message":"event \#(n)","event_id":"e-\#(n)","request_id":"r-\#(n)"}"#
            return try StoredEvent(line: line, tenant: tenant)
        }
    }

    /// A retried batch is a duplicate whether its events are still in a head or flushed into blocks, and after a
    /// restart too.
    @Test func aRetriedBatchIsStoredOnceWhereverItsEventsAre() throws {
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let policy = FlushPolicy(maximumRows: 16, maximumBytes: 1 << 20, maximumAge: .max / 2)
        let batch = try Self.events(0..<40)
        do {
            let store = try BlockLogStore(directory: directory, durability: .normal, policy: policy)
            #expect(try store.append(batch) == AppendResult(stored: 40, duplicates: 0))
            #expect(try store.append(batch) == AppendResult(stored: 0, duplicates: 40))
        }
        let reopened = try BlockLogStore(directory: directory, durability: .normal, policy: policy)
        #expect(try reopened.append(batch + Self.events(40..<45)) == AppendResult(stored: 5, duplicates: 40))
        #expect(try LogStoreConformance.all(reopened, EventQuery(tenant: "t1")).map(\.arrival) == Array(1...45))
    }

    /// However many days are written to, the heads together stay within their limit: the biggest are flushed.
    @Test func theHeadsTogetherStayWithinTheirLimit() throws {
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try BlockLogStore(directory: directory, durability: .normal, policy: FlushPolicy(), limits: BlockLogStore.Limits(headBytes: 64 << 10))
        for tenant in 0..<20 {
            _ = try store.append(try Self.events(0..<200, tenant: "t\(tenant)"))
        }
        let files = try FileManager.default.subpathsOfDirectory(atPath: directory + "/blocks").filter { $0.hasSuffix(".kb") }
        #expect(!files.isEmpty, "heads over the limit were flushed into blocks")
        #expect(store.headBytes <= 64 << 10)
        for tenant in 0..<20 { #expect(try LogStoreConformance.all(store, EventQuery(tenant: "t\(tenant)")).count == 200) }
    }

    /// A block that fails its checksum is reported once and skipped; the rest of the store reads on, and appends go on.
    @Test func aDamagedBlockIsReportedOnceAndSkipped() throws {
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let reports = Mutex<[String]>([])
        let store = try BlockLogStore(
            directory: directory, durability: .normal, policy: FlushPolicy(maximumRows: 10, maximumBytes: 1 << 20, maximumAge: .max / 2)
        ) { file, _ in reports.withLock { $0.append(file) } }
        _ = try store.append(try Self.events(0..<30))
        store.settle()
        let day = try #require(FileManager.default.contentsOfDirectory(atPath: directory + "/blocks/t1").first { Int($0) != nil })
        let path = directory + "/blocks/t1/\(day)/11-20.kb"
        var bytes = try DurableFiles.read(path)
        bytes[bytes.count - 3] ^= 0x40
        try DurableFiles.write(bytes, to: path)
        for _ in 0..<3 { #expect(try LogStoreConformance.all(store, EventQuery(tenant: "t1")).count == 20) }
        #expect(reports.withLock { $0 } == [path])
        #expect(try store.append(try Self.events(30..<31)).stored == 1)
        #expect(try store.events(EventQuery(tenant: "t1", ids: [.requestID: "r-30"])).events.count == 1)
    }

    /// Time order holds across blocks whose times overlap (events that arrive out of order), merged or not, in both
    /// directions and from any page.
    @Test func pagesAndScansKeepTimeOrderWhateverOrderEventsArrivedIn() throws {
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try BlockLogStore(directory: directory, durability: .normal, policy: FlushPolicy(maximumRows: 32, maximumBytes: 1 << 20, maximumAge: .max / 2))
        var generator = SystemRandomNumberGenerator()
        let events = try Self.events(0..<500).shuffled(using: &generator)
        for start in stride(from: 0, to: 500, by: 7) {
            _ = try store.append(Array(events[start..<min(start + 7, 500)]))
            if start % 70 == 0 { try store.maintain() }
        }
        let expected = events.map(\.timestamp).sorted()
        var paged: [Int64] = []
        var query = EventQuery(tenant: "t1", limit: 33)
        while true {
            let page = try store.events(query)
            paged += page.events.map(\.timestamp)
            guard let next = page.next else { break }
            query.after = next
        }
        #expect(paged == expected)
        var newest: [Int64] = []
        try store.scan(EventQuery(tenant: "t1"), order: .newestFirst) { time, _ in newest.append(time); return true }
        #expect(newest == expected.reversed())
    }

    /// An append whose events reach the head but whose flush then fails (a full disk) is refused, yet its events
    /// keep their arrival numbers: the next append gets new ones, nothing is lost or numbered twice, and a retry of
    /// the refused append finds its events stored.
    @Test func anAppendWhoseFlushFailsKeepsItsArrivalNumbers() throws {
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try BlockLogStore(directory: directory, durability: .normal, policy: FlushPolicy(maximumRows: 10, maximumBytes: 1 << 20, maximumAge: .max / 2))
        _ = try store.append(try Self.events(0..<5))
        store.settle()
        let day = try #require(FileManager.default.contentsOfDirectory(atPath: directory + "/blocks/t1").first { Int($0) != nil })
        // The first block's temporary file cannot be written: a directory is in its way.
        let blocked = directory + "/blocks/t1/\(day)/1-10.kb.tmp"
        try FileManager.default.createDirectory(atPath: blocked, withIntermediateDirectories: false)
        let refused = try Self.events(5..<25)
        #expect(throws: (any Error).self) { try store.append(refused) }
        #expect(store.newestArrival(tenant: "t1") == 25)
        try FileManager.default.removeItem(atPath: blocked)
        #expect(try store.append(try Self.events(25..<28)) == AppendResult(stored: 3, duplicates: 0))
        #expect(try store.append(refused) == AppendResult(stored: 0, duplicates: 20))
        try store.flush()
        let all = try LogStoreConformance.all(store, EventQuery(tenant: "t1"))
        #expect(all.count == 28)
        #expect(all.map(\.arrival).sorted() == Array(1...28))
    }

    @Test func aBackgroundFlushThatFailsIsReported() throws {
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let reports = Mutex<[(day: String, error: String)]>([])
        let store = try BlockLogStore(
            directory: directory, durability: .normal, policy: FlushPolicy(maximumRows: 10, maximumBytes: 1 << 20, maximumAge: .max / 2),
            flushFailed: { day, error in reports.withLock { $0.append((day, "\(error)")) } })
        _ = try store.append(try Self.events(0..<5))
        store.settle()
        let day = try #require(FileManager.default.contentsOfDirectory(atPath: directory + "/blocks/t1").first { Int($0) != nil })
        // The first block's temporary file cannot be written: a directory is in its way.
        try FileManager.default.createDirectory(atPath: directory + "/blocks/t1/\(day)/1-10.kb.tmp", withIntermediateDirectories: false)
        // Twelve events: a block's worth, flushed in the background, and not yet twice a block (appends go on).
        #expect(try store.append(try Self.events(5..<12)) == AppendResult(stored: 7, duplicates: 0))
        store.settle()
        let reported = reports.withLock { $0 }
        #expect(reported.count == 1)
        #expect(reported.first?.day.hasSuffix("/blocks/t1/\(day)") == true)
        #expect(reported.first?.error.contains("1-10.kb") == true, "\(reported)")
        // Nothing was lost: the events are still read from the head.
        #expect(try LogStoreConformance.all(store, EventQuery(tenant: "t1")).count == 12)
    }

    /// An id lookup compares each decoded row's id where the block says it lies, and never misses: not when another
    /// event's id is in a message, an id is escaped, or a line names the field twice (what the first says is what
    /// the event's id is).
    @Test func idLookupsFindExactlyTheirEventsWhereverTheTextAlsoAppears() throws {
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try BlockLogStore(directory: directory, durability: .normal, policy: FlushPolicy(maximumRows: 8, maximumBytes: 1 << 20, maximumAge: .max / 2))
        let time = { (n: Int) in Timestamp(microsecondsSinceEpoch: Self.start + Int64(n) * 1_000_000) }
        let lines = [
            #"{"timestamp":"\#(time(0))","message":"retry of r-2","event_id":"e-0","request_id":"r-1"}"#,
            #"{"timestamp":"\#(time(1))","message":"first","event_id":"e-1","request_id":"r-2"}"#,
            #"{"timestamp":"\#(time(2))","message":"escaped","event_id":"e-2","request_id":"r-\u0033"}"#,
            #"{"timestamp":"\#(time(3))","message":"twice","event_id":"e-3","request_id":"r-4","request_id":"r-5"}"#,
        ] + (4..<20).map { #"{"timestamp":"\#(time($0))","message":"filler","event_id":"e-\#($0)","request_id":"x-\#($0)"}"# }
        _ = try store.append(try lines.map { try StoredEvent(line: $0, tenant: "t1") })
        try store.flush()
        func ids(_ id: String) throws -> [String] {
            try store.events(EventQuery(tenant: "t1", ids: [.requestID: id])).events.map(\.eventID)
        }
        let parsed = try StoredEvent(line: lines[3], tenant: "t1")
        #expect(try ids("r-2") == ["e-1"])
        #expect(try ids("r-1") == ["e-0"])
        #expect(try ids("r-3") == ["e-2"])
        #expect(try ids(parsed.ids[.requestID] ?? "?") == ["e-3"])
        #expect(try ids("x-17") == ["e-17"])
        #expect(try ids("r-9").isEmpty)
    }

    /// Days whose heads are empty are closed when their filters take more than the limit (or there are too many),
    /// and opened again when read or written.
    @Test func idleDaysAreClosedBeyondTheLimitAndOpenedAgainWhenUsed() throws {
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try BlockLogStore(
            directory: directory, durability: .normal, policy: FlushPolicy(maximumRows: 16, maximumBytes: 1 << 20, maximumAge: .max / 2),
            limits: BlockLogStore.Limits(indexBytes: 1))
        // Five days, 40 events each.
        _ = try store.append(try Self.events(0..<200, spread: 86_400_000_000 / 40))
        try store.flush()
        #expect(store.openDays == 5)
        try store.maintain()
        #expect(store.openDays == 0)
        #expect(try LogStoreConformance.all(store, EventQuery(tenant: "t1")).count == 200)
        #expect(try store.append(try Self.events(0..<200, spread: 86_400_000_000 / 40)).duplicates == 200)
        try store.maintain()
        #expect(store.openDays == 0)
    }
}
