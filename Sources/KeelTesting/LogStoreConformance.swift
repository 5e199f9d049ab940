public import Foundation
public import KeelStore
import Keel

/// The contract of ``LogStore``, as checks every store must pass unchanged — the embedded SQLite store today, a
/// ClickHouse or object-storage one later: append idempotence, time order and paging, every filter, a scan, id
/// lookups, text search, tenant isolation, retention, erasure, and arrival numbers across a restart.
///
/// ```swift
/// #expect(LogStoreConformance.run { directory in try SQLiteLogStore(directory: directory) }.isEmpty)
/// ```
public enum LogStoreConformance {
    /// Opens the store kept in `directory`. Each check gets a fresh directory; a check that restarts the store lets
    /// go of it and opens the same directory again.
    public typealias Open = (_ directory: String) throws -> any LogStore

    /// Runs every check (or those named in `only`) and returns what failed; empty when the store conforms.
    public static func run(only: Set<String>? = nil, open: Open) -> [ConformanceFailure] {
        var failures: [ConformanceFailure] = []
        for (name, check) in checks where only?.contains(name) ?? true {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keel-conformance-\(UUID())").path
            failures += ConformanceRecorder.run(name) { try check(&$0, directory, open) }
            try? FileManager.default.removeItem(atPath: directory)
        }
        return failures
    }

    typealias Check = @Sendable (inout ConformanceRecorder, String, Open) throws -> Void

    /// The checks, by name, in the order they run.
    static let checks: [(String, Check)] = [
        ("append is idempotent", appendIsIdempotent),
        ("time order and paging", timeOrderAndPaging),
        ("every filter", everyFilter),
        ("a scan reads what the pages read", scanReadsWhatThePagesRead),
        ("id lookups", idLookups),
        ("text search", textSearch),
        ("tenant isolation", tenantIsolation),
        ("retention", retention),
        ("erasure", erasure),
        ("arrivals across a restart", arrivalsAcrossARestart),
    ]

    /// The names of the checks.
    public static var checkNames: [String] { checks.map(\.0) }

    /// 2026-11-23T00:00:00Z, in microseconds.
    static let day0: Int64 = 1_795_392_000_000_000
    static let day: Int64 = 86_400_000_000

    /// A canonical line: event `n` at `day0 + offset` µs.
    static func event(
        _ n: Int, at offset: Int64 = 0, tenant: String = "t1", level: String = "INFO", event: String = "log",
        message: String? = nil, ids: [String: String] = [:], errorCode: String? = nil
    ) throws -> StoredEvent {
        var members: [(key: String, value: JSONValue)] = [
            ("timestamp", .string(Timestamp(microsecondsSinceEpoch: day0 + offset).description)), ("level", .string(level)),
            ("message", .string(message ?? "event number \(n)")), ("event", .string(event)), ("event_id", .string("id-\(n)")),
        ]
        for name in ["request_id", "trace_id", "run_id", "user_id"] {
            if let id = ids[name] { members.append((name, .string(id))) }
        }
        if let errorCode { members.append(("error_code", .string(errorCode))) }
        return try StoredEvent(line: JSONValue.object(members).jsonText, tenant: tenant)
    }

    /// Every event `query` finds, following the pages' cursors (at most 10,000 pages): for any test of a store.
    public static func all(_ store: any LogStore, _ query: EventQuery) throws -> [StoredEvent] {
        var query = query
        var out: [StoredEvent] = []
        for _ in 0..<10_000 {
            let page = try store.events(query)
            out += page.events
            guard let next = page.next else { break }
            query.after = next
        }
        return out
    }

    static func ids(_ store: any LogStore, _ query: EventQuery) throws -> [String] { try all(store, query).map(\.eventID) }

    static func appendIsIdempotent(_ r: inout ConformanceRecorder, _ directory: String, _ open: Open) throws {
        let store = try open(directory)
        let batch = try (0..<100).map { try event($0, at: Int64($0)) }
        var result = try store.append(batch)
        r.expect(result == AppendResult(stored: 100, duplicates: 0), "the first append gave \(result)")
        result = try store.append(batch)
        r.expect(result == AppendResult(stored: 0, duplicates: 100), "the same batch again gave \(result)")
        result = try store.append(try (90..<110).map { try event($0, at: Int64($0)) })
        r.expect(result == AppendResult(stored: 10, duplicates: 10), "an overlapping batch gave \(result)")
        let count = try all(store, EventQuery(tenant: "t1")).count
        r.expect(count == 110, "\(count) events stored, not 110")
        // The same id at another time is another event.
        result = try store.append([try event(5, at: day)])
        r.expect(result.stored == 1, "an id reused at another time was taken for a duplicate")
    }

    static func timeOrderAndPaging(_ r: inout ConformanceRecorder, _ directory: String, _ open: Open) throws {
        let store = try open(directory)
        // Out of order, across three days.
        let offsets: [Int64] = (0..<250).map { n in Int64((n * 7919) % 250) * 1_000_000_000 }
        _ = try store.append(try offsets.enumerated().map { try event($0.offset, at: $0.element) })
        let read = try all(store, EventQuery(tenant: "t1", limit: 17))
        r.expect(read.count == 250, "paging read \(read.count) of 250 events")
        r.expect(read.map(\.timestamp) == read.map(\.timestamp).sorted(), "events are not oldest first")
        r.expect(Set(read.map(\.eventID)).count == read.count, "paging repeated events")
        let first = offsets.firstIndex(of: 0)!
        r.expect(read.first?.eventID == "id-\(first)", "the oldest event is \(read.first?.eventID ?? "missing")")
        r.expect(read.first?.message == "event number \(first)", "the message is not the line's")
        r.expect(read.first?.line.contains("\"event_id\":\"id-\(first)\"") == true, "the line is not stored as given")
    }

    static func everyFilter(_ r: inout ConformanceRecorder, _ directory: String, _ open: Open) throws {
        let store = try open(directory)
        _ = try store.append([
            try event(1, at: 1_000, level: "INFO", event: "http.request", message: "GET /users took 12 ms"),
            try event(2, at: 2_000, level: "ERROR", event: "http.request", message: "Upstream TIMEOUT talking to billing", errorCode: "upstream_timeout"),
            try event(3, at: 3_000, level: "WARN", event: "cache.miss", message: "cache miss for key k"),
            try event(4, at: 4_000, level: "ERROR", event: "job.failed", message: "timeout in job", errorCode: "job_timeout"),
        ])
        func check(_ query: EventQuery, _ expected: [String], _ what: String) throws {
            let found = try ids(store, query)
            r.expect(found == expected, "\(what): \(found), not \(expected)")
        }
        try check(EventQuery(tenant: "t1", minimumLevel: StoredEvent.levelRank("WARN")), ["id-2", "id-3", "id-4"], "level")
        try check(EventQuery(tenant: "t1", event: "http.request"), ["id-1", "id-2"], "event")
        try check(EventQuery(tenant: "t1", errorCode: "job_timeout"), ["id-4"], "error_code")
        try check(EventQuery(tenant: "t1", from: day0 + 2_000, to: day0 + 4_000), ["id-2", "id-3"], "from (inclusive) and to (exclusive)")
        try check(EventQuery(tenant: "t1", minimumLevel: 5, event: "http.request", text: "billing"), ["id-2"], "filters together")
        try check(EventQuery(tenant: "t1", limit: 2), ["id-1", "id-2", "id-3", "id-4"], "a limit pages, it does not cut")
    }

    static func scanReadsWhatThePagesRead(_ r: inout ConformanceRecorder, _ directory: String, _ open: Open) throws {
        let store = try open(directory)
        // Out of order, across three days, with levels, events, error codes, ids and words to filter by.
        let levels = ["DEBUG", "INFO", "WARN", "ERROR"]
        let events = try (0..<600).map { n in
            try event(
                n, at: Int64((n * 7919) % 600) * 400_000_000, level: levels[n % 4], event: n % 3 == 0 ? "job.failed" : "log",
                message: n % 5 == 0 ? "Timeout talking to billing \(n)" : nil, ids: ["request_id": "r-\(n % 7)"],
                errorCode: n % 4 == 3 ? "E\(n % 2)" : nil)
        }
        _ = try store.append(events)
        let queries: [(String, EventQuery)] = [
            ("everything", EventQuery(tenant: "t1")),
            ("a range across days", EventQuery(tenant: "t1", from: day0 + 50_000_000_000, to: day0 + day + 20_000_000_000)),
            ("level, event and error code", EventQuery(tenant: "t1", minimumLevel: 5, event: "log", errorCode: "E1")),
            ("an id", EventQuery(tenant: "t1", ids: [.requestID: "r-3"])),
            ("text", EventQuery(tenant: "t1", minimumLevel: 2, text: "billing")),
            ("another tenant", EventQuery(tenant: "t2")),
        ]
        for (what, query) in queries {
            let paged = try all(store, query).map { "\($0.timestamp) \($0.line)" }
            var scanned: [String] = []
            try store.scan(query, order: .oldestFirst) { timestamp, line in
                scanned.append("\(timestamp) \(String(decoding: line, as: UTF8.self))")
                return true
            }
            r.expect(scanned == paged, "\(what): the scan read \(scanned.count) events, the pages \(paged.count), or another order")
            var newestFirst: [String] = []
            try store.scan(query, order: .newestFirst) { timestamp, line in
                newestFirst.append("\(timestamp) \(String(decoding: line, as: UTF8.self))")
                return true
            }
            r.expect(newestFirst == paged.reversed(), "\(what): a newest-first scan is not the pages backwards")
            var unordered: [String] = []
            try store.scan(query, order: .any) { timestamp, line in
                unordered.append("\(timestamp) \(String(decoding: line, as: UTF8.self))")
                return true
            }
            r.expect(unordered.sorted() == paged.sorted(), "\(what): a scan in any order read other events than the pages")
        }
        var delivered = 0
        try store.scan(EventQuery(tenant: "t1"), order: .newestFirst) { _, _ in
            delivered += 1
            return delivered < 3
        }
        r.expect(delivered == 3, "a scan told to stop after 3 events delivered \(delivered)")
    }

    static func idLookups(_ r: inout ConformanceRecorder, _ directory: String, _ open: Open) throws {
        let store = try open(directory)
        // 5,000 events in batches; request r-7 has an event in three batches, far apart.
        for batch in 0..<5 {
            _ = try store.append(
                try (batch * 1000..<(batch + 1) * 1000).map { n in
                    try event(n, at: Int64(n), ids: [
                        "request_id": n % 2000 == 7 ? "r-7" : "r-\(n)", "trace_id": "t-\(n % 10)", "run_id": "run-\(n % 3)",
                        "user_id": "u-\(n % 1000)",
                    ])
                })
        }
        r.expect(try ids(store, EventQuery(tenant: "t1", ids: [.requestID: "r-7"])) == ["id-7", "id-2007", "id-4007"], "request_id r-7")
        r.expect(try ids(store, EventQuery(tenant: "t1", ids: [.requestID: "r-1234"])) == ["id-1234"], "request_id r-1234")
        r.expect(try all(store, EventQuery(tenant: "t1", ids: [.traceID: "t-3"])).count == 500, "trace_id")
        r.expect(try all(store, EventQuery(tenant: "t1", ids: [.userID: "u-42"])).map(\.eventID) == ["id-42", "id-1042", "id-2042", "id-3042", "id-4042"], "user_id")
        let run = try all(store, EventQuery(tenant: "t1", ids: [.runID: "run-1", .userID: "u-1"]))
        r.expect(run.map(\.eventID) == ["id-1", "id-3001"], "run_id and user_id together: \(run.map(\.eventID))")
        r.expect(try all(store, EventQuery(tenant: "t1", ids: [.requestID: "nope"])).isEmpty, "an unknown id found events")
        r.expect(try all(store, EventQuery(tenant: "t1", ids: [.traceID: "r-7"])).isEmpty, "ids are not per field")
        r.expect(try all(store, EventQuery(tenant: "other", ids: [.requestID: "r-7"])).isEmpty, "an id lookup crossed tenants")
    }

    static func textSearch(_ r: inout ConformanceRecorder, _ directory: String, _ open: Open) throws {
        let store = try open(directory)
        _ = try store.append(
            try (0..<3000).map { n in
                try event(n, at: Int64(n), message: n % 1000 == 500 ? "Payment DECLINED for order \(n)" : "routine work \(n)")
            })
        r.expect(try ids(store, EventQuery(tenant: "t1", text: "payment declined")) == ["id-500", "id-1500", "id-2500"], "a case-insensitive substring")
        r.expect(try ids(store, EventQuery(tenant: "t1", text: "der 15")) == ["id-1500"], "a substring inside words")
        // Two letters: shorter than the trigrams a full-text index is made of.
        r.expect(try all(store, EventQuery(tenant: "t1", text: "RK")).count == 2997, "a substring shorter than three letters")
        r.expect(try ids(store, EventQuery(tenant: "t1", text: "k 7", limit: 1000)).count == 111, "a three-letter substring")
        r.expect(try all(store, EventQuery(tenant: "t1", text: "\"routine\" OR x")).isEmpty, "search text is taken as syntax")
        r.expect(try all(store, EventQuery(tenant: "t1", text: "%")).isEmpty, "a wildcard character matched")
    }

    static func tenantIsolation(_ r: inout ConformanceRecorder, _ directory: String, _ open: Open) throws {
        let store = try open(directory)
        _ = try store.append(try (0..<10).map { try event($0, at: Int64($0), tenant: "a") })
        _ = try store.append(try (0..<5).map { try event($0, at: Int64($0), tenant: "b") })
        r.expect(try all(store, EventQuery(tenant: "a")).count == 10, "tenant a")
        r.expect(try all(store, EventQuery(tenant: "b")).map(\.tenant) == Array(repeating: "b", count: 5), "tenant b")
        r.expect(try all(store, EventQuery(tenant: "c")).isEmpty, "a tenant without events")
        let tenants = try store.tenants()
        r.expect(Set(tenants) == ["a", "b"], "tenants() is \(tenants)")
        r.expect(store.newestArrival(tenant: "c") == 0, "a tenant without events has arrivals")
    }

    static func retention(_ r: inout ConformanceRecorder, _ directory: String, _ open: Open) throws {
        let store = try open(directory)
        // Ten days of 10 events each, for two tenants.
        for tenant in ["a", "b"] {
            _ = try store.append(try (0..<100).map { try event($0, at: Int64($0 / 10) * day + Int64($0 % 10), tenant: tenant) })
        }
        let dropped = try store.dropDays(tenant: "a", before: day0 + 4 * day + 1)
        r.expect(dropped == 40, "dropping the days that ended before day 4 removed \(dropped) events, not 40")
        let left = try all(store, EventQuery(tenant: "a"))
        r.expect(left.count == 60 && left.allSatisfy { $0.timestamp >= day0 + 4 * day }, "what is left of a is not days 4–9")
        r.expect(try all(store, EventQuery(tenant: "b")).count == 100, "retention of a touched b")
        r.expect(try store.dropDays(tenant: "a", before: day0 + 4 * day + 1) == 0, "dropping again removed events")
    }

    static func erasure(_ r: inout ConformanceRecorder, _ directory: String, _ open: Open) throws {
        let store = try open(directory)
        for tenant in ["a", "b"] {
            _ = try store.append(try (0..<100).map { try event($0, at: Int64($0), tenant: tenant, ids: ["user_id": "u-\($0 % 4)"]) })
        }
        let counted = try store.forget(.user(tenant: "a", userID: "u-1"), dryRun: true)
        r.expect(counted == 25, "a dry run counted \(counted), not 25")
        r.expect(try all(store, EventQuery(tenant: "a", ids: [.userID: "u-1"])).count == 25, "a dry run deleted")
        let deleted = try store.forget(.user(tenant: "a", userID: "u-1"), dryRun: false)
        r.expect(deleted == 25, "erasing u-1 deleted \(deleted), not 25")
        r.expect(try all(store, EventQuery(tenant: "a", ids: [.userID: "u-1"])).isEmpty, "u-1's events are still found by id")
        r.expect(try all(store, EventQuery(tenant: "a")).count == 75, "erasure took other users' events")
        r.expect(try all(store, EventQuery(tenant: "b", ids: [.userID: "u-1"])).count == 25, "erasure crossed tenants")
        let whole = try store.forget(.tenant("b"), dryRun: false)
        let leftInB = try all(store, EventQuery(tenant: "b")).count
        r.expect(whole == 100 && leftInB == 0, "erasing tenant b deleted \(whole) and left \(leftInB)")
        r.expect(try all(store, EventQuery(tenant: "a")).count == 75, "erasing b touched a")
    }

    static func arrivalsAcrossARestart(_ r: inout ConformanceRecorder, _ directory: String, _ open: Open) throws {
        do {
            let store = try open(directory)
            _ = try store.append(try (0..<100).map { try event($0, at: Int64($0) * 1000) })
            let newest = store.newestArrival(tenant: "t1")
            r.expect(newest > 0, "no arrival position after an append")
            _ = try store.append(try (100..<150).map { try event($0, at: Int64($0) * 1000) })
            let tail = try store.events(EventQuery(tenant: "t1", limit: 1000, arrivedAfter: newest))
            r.expect(tail.events.map(\.eventID) == (100..<150).map { "id-\($0)" }, "events that arrived after a position, in arrival order")
            r.expect(tail.events.allSatisfy { $0.arrival > newest }, "arrival positions do not grow")
        }
        // A restart: the positions handed out before must still mean the same events.
        let reopened = try open(directory)
        let before = reopened.newestArrival(tenant: "t1")
        r.expect(try all(reopened, EventQuery(tenant: "t1")).count == 150, "events were lost across a restart")
        _ = try reopened.append(try (150..<160).map { try event($0, at: Int64($0) * 1000) })
        let after = try reopened.events(EventQuery(tenant: "t1", limit: 1000, arrivedAfter: before))
        r.expect(after.events.map(\.eventID) == (150..<160).map { "id-\($0)" }, "after a restart, new events arrive after the old ones")
        _ = try reopened.dropDays(tenant: "t1", before: day0 + day)
        r.expect(reopened.newestArrival(tenant: "t1") >= before, "dropping days took arrival positions back")
    }
}
