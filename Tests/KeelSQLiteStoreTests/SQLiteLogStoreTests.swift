import Foundation
import GRDB
import Keel
import KeelStore
import KeelSQLiteStore
import KeelTesting
import Testing

@Suite struct SQLiteLogStoreTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keel-store-\(UUID())").path

    /// 2026-11-23T00:00:00Z in microseconds.
    static let day0: Int64 = 1_795_392_000_000_000

    func line(
        _ n: Int, at offset: Int64 = 0, level: String = "INFO", event: String = "log", message: String? = nil,
        requestID: String? = nil, errorCode: String? = nil
    ) -> String {
        var out = OutputBuffer(capacity: 256)
        defer { out.deallocate() }
        out.append("{\"timestamp\":\"")
        out.appendRFC3339(Timestamp(microsecondsSinceEpoch: Self.day0 + offset))
        out.append("\",\"level\":")
        out.appendJSONString(level)
        out.append(",\"message\":")
        out.appendJSONString(message ?? "event number \(n)")
        out.append(",\"event\":")
        out.appendJSONString(event)
        out.append(",\"event_id\":")
        out.appendJSONString("id-\(n)")
        if let requestID {
            out.append(",\"request_id\":")
            out.appendJSONString(requestID)
        }
        if let errorCode {
            out.append(",\"error_code\":")
            out.appendJSONString(errorCode)
        }
        out.append("}")
        return String(decoding: out.bytes, as: UTF8.self)
    }

    func events(_ lines: [String], tenant: String = "t1") throws -> [StoredEvent] {
        try lines.map { try StoredEvent(line: $0, tenant: tenant) }
    }

    func all(_ store: SQLiteLogStore, _ query: EventQuery) throws -> [StoredEvent] {
        try LogStoreConformance.all(store, query)
    }

    /// The contract every store must meet (KeelTesting's ``LogStoreConformance``): what this store's users rely on,
    /// whatever the engine. The tests below are what is particular to SQLite: chunks, open days, rollbacks.
    @Test func meetsTheLogStoreContract() async throws {
        let failures = try await onOwnThread { LogStoreConformance.run { try SQLiteLogStore(directory: $0) } }
        #expect(failures.isEmpty, "\(failures.map(\.description).joined(separator: "\n"))")
        #expect(LogStoreConformance.checkNames.count == 10)
    }

    /// A run spread thinly over thousands of chunks (many senders, one long run): the lookup is one parameter, not
    /// an expression per chunk, which SQLite refused past ~1,000 ("Expression tree is too large").
    @Test func anIDInThousandsOfChunksIsFoundWhole() async throws {
        let (expected, found, late) = try await onOwnThread { try self.lookUpAnIDInThousandsOfChunks() }
        #expect(found.count == 1_050)
        #expect(found == expected)
        // And with a second filter beside it, in time order and paged.
        #expect(late == expected.filter { Int($0.dropFirst(3))! >= 300_000 })
    }

    /// The run's event ids as appended, as found, and as found from event 300,000 on.
    func lookUpAnIDInThousandsOfChunks() throws -> (expected: [String], found: [String], late: [String]) {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SQLiteLogStore(directory: directory)
        // 2,100 chunks of 256 events; the run has one event in every other chunk: 1,050 separate ranges.
        var expected: [String] = []
        for batch in 0..<42 {
            let lines = (batch * 12_800..<(batch + 1) * 12_800).map { n in
                let inRun = n % 512 == 3
                if inRun { expected.append("id-\(n)") }
                return line(n, at: Int64(n), requestID: inRun ? "big-run" : "r-\(n)")
            }
            _ = try store.append(events(lines))
        }
        let found = try all(store, EventQuery(tenant: "t1", ids: [.requestID: "big-run"]))
        let late = try all(store, EventQuery(tenant: "t1", from: Self.day0 + 300_000, ids: [.requestID: "big-run"]))
        return (expected, found.map(\.eventID), late.map(\.eventID))
    }

    @Test func aReopenedStoreKeepsItsEventsAndItsChunkFilters() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            let store = try SQLiteLogStore(directory: directory)
            _ = try store.append(events((0..<100).map { line($0, at: Int64($0), requestID: "before") }))
        }
        let store = try SQLiteLogStore(directory: directory)
        _ = try store.append(events((100..<200).map { line($0, at: Int64($0), requestID: "after") }))
        #expect(try all(store, EventQuery(tenant: "t1", ids: [.requestID: "before"])).count == 100)
        #expect(try all(store, EventQuery(tenant: "t1", ids: [.requestID: "after"])).count == 100)
        #expect(try store.append(events((0..<10).map { line($0, at: Int64($0)) })).duplicates == 10)
    }

    @Test func linesThatCannotBeStoredSayWhy() {
        #expect(throws: StoredEventError.notAnObject) { try StoredEvent(line: "[1,2]", tenant: "t") }
        #expect(throws: StoredEventError.notAnObject) { try StoredEvent(line: "{not json", tenant: "t") }
        #expect(throws: StoredEventError.missing("timestamp")) { try StoredEvent(line: #"{"event_id":"x"}"#, tenant: "t") }
        #expect(throws: StoredEventError.invalid("timestamp", "yesterday")) {
            try StoredEvent(line: #"{"timestamp":"yesterday","event_id":"x"}"#, tenant: "t")
        }
        #expect(throws: StoredEventError.missing("event_id")) {
            try StoredEvent(line: #"{"timestamp":"2026-11-23T00:00:00Z"}"#, tenant: "t")
        }
    }

    @Test func onlyALimitedNumberOfDaysStayOpenAndClosedDaysReopenWhenRead() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SQLiteLogStore(directory: directory, maximumOpenPartitions: 3)
        let day: Int64 = 86_400_000_000
        for tenant in ["t1", "t2"] {
            for d in 0..<10 {
                let lines = (0..<20).map { line(d * 100 + $0, at: Int64(d) * day + Int64($0), requestID: "r-\(d)-\($0 % 2)") }
                #expect(try store.append(events(lines, tenant: tenant)).stored == 20)
            }
        }
        #expect(store.openPartitions <= 3)
        #expect(store.days(tenant: "t1").count == 10)
        #expect(try all(store, EventQuery(tenant: "t1", limit: 7)).count == 200)
        #expect(try all(store, EventQuery(tenant: "t2", ids: [.requestID: "r-4-1"])).count == 10)
        #expect(store.openPartitions <= 3)
        // Arrival numbers go on across closed and reopened days, and a tail read finds every day that changed.
        #expect(store.newestArrival(tenant: "t1") == 200)
        let tail = try store.events(EventQuery(tenant: "t1", limit: 1000, arrivedAfter: 150))
        #expect(tail.events.map(\.arrival) == Array(151...200))
        // A reopened store sees the same.
        let reopened = try SQLiteLogStore(directory: directory, maximumOpenPartitions: 2)
        #expect(reopened.newestArrival(tenant: "t2") == 200)
        #expect(reopened.openPartitions == 0, "days are opened when used, not at start")
        #expect(try reopened.dropDays(tenant: "t2", before: Self.day0 + 5 * day) == 100)
        #expect(try all(reopened, EventQuery(tenant: "t2", limit: 1000)).count == 100)
        #expect(reopened.newestArrival(tenant: "t2") == 200, "dropping days never takes arrival numbers back")
    }

    @Test func textSearchFindsEveryMatchingEventAcrossChunksAndReopens() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // 70,000 events: ~270 chunks, so a common word takes the many-chunks path and a rare one the ranges path.
        func batch(_ range: Range<Int>) -> [String] {
            range.map { n in
                let message = n % 1000 == 7 ? "Überweisung fehlgeschlagen für Auftrag \(n)" : "request handled"
                return line(n, at: Int64(n), message: message)
            }
        }
        var store = try SQLiteLogStore(directory: directory)
        for start in stride(from: 0, to: 40_000, by: 1000) { _ = try store.append(events(batch(start..<(start + 1000)))) }
        // A reopened store goes on filling the chunk it was in: its documents must not be lost or doubled.
        store = try SQLiteLogStore(directory: directory)
        for start in stride(from: 40_000, to: 70_000, by: 1000) { _ = try store.append(events(batch(start..<(start + 1000)))) }

        let rare = try all(store, EventQuery(tenant: "t1", text: "ÜBERWEISUNG", limit: 1000))
        #expect(rare.map(\.eventID) == (0..<70).map { "id-\($0 * 1000 + 7)" }, "case folded beyond ASCII")
        #expect(try all(store, EventQuery(tenant: "t1", text: "auftrag 5007", limit: 1000)).map(\.eventID) == ["id-5007"])
        let common = try store.events(EventQuery(tenant: "t1", text: "HANDLED", limit: 100))
        #expect(common.events.count == 100)
        #expect(common.events.first?.eventID == "id-0")
        #expect(try all(store, EventQuery(tenant: "t1", from: Self.day0 + 60_000, text: "handled", limit: 5000)).count == 9_990)
        #expect(try all(store, EventQuery(tenant: "t1", text: "nowhere to be found")).isEmpty)
    }

    @Test func cursorsRoundTripAsText() throws {
        let cursor = EventCursor(day: 20_780, timestamp: Self.day0, seq: 42)
        #expect(EventCursor(cursor.description) == cursor)
        #expect(EventCursor("1.2") == nil)
        #expect(EventCursor("a.b.c") == nil)
    }

    /// An append that fails and rolls back leaves nothing behind, not even in what the writer remembers of its chunk:
    /// a message it had counted as indexed would never reach the text index when it came again.
    @Test func aRolledBackAppendLeavesTheTextIndexAsTheFileHasIt() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SQLiteLogStore(directory: directory)
        _ = try store.append(events([line(0, message: "seed")]))
        // Make the next append fail after its rows and text documents are written: saving the chunk's filter aborts.
        let file = directory + "/events/t1/\(Self.day0 / 86_400_000_000).sqlite"
        let saboteur = try DatabaseQueue(path: file)
        try saboteur.write { db in
            try db.execute(sql: "CREATE TRIGGER no_insert BEFORE INSERT ON chunks BEGIN SELECT RAISE(ABORT, 'sabotaged'); END")
            try db.execute(sql: "CREATE TRIGGER no_update BEFORE UPDATE ON chunks BEGIN SELECT RAISE(ABORT, 'sabotaged'); END")
        }
        #expect(throws: (any Error).self) { try store.append(events([line(1, at: 1, message: "disk quota exceeded")])) }
        try saboteur.write { db in
            try db.execute(sql: "DROP TRIGGER no_insert")
            try db.execute(sql: "DROP TRIGGER no_update")
        }
        try saboteur.close()
        _ = try store.append(events([line(2, at: 2, message: "disk quota exceeded")]))
        let found = try all(store, EventQuery(tenant: "t1", text: "quota")).map(\.eventID)
        #expect(found == ["id-2"])
    }
}
