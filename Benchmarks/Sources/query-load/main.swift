// `query-load DIR [EVENTS=100000]`: LogQL on one tenant's day (W3's per-tenant share: 10,000,000 events over 24 h
// and 100 tenants is 100,000 each). Appends EVENTS W1 events over 24 h to a fresh store in DIR, then runs each query
// 20 times and prints p50/p99 in ms: the issue's four (a 24 h metric query, a 6 h topk of rates, a substring log
// query, a request_id lookup) and, as the baseline measured in the same run, the same substring and lookup through
// the store's own query (what `/v1/events` runs).
import Foundation
import Keel
import KeelQuery
import KeelSQLiteStore
import KeelStore
import W1Workload

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    print("usage: query-load DIR [EVENTS]")
    exit(2)
}
let directory = arguments[1]
let total = arguments.count > 2 ? Int(arguments[2]) ?? 100_000 : 100_000
try? FileManager.default.removeItem(atPath: directory)
let store = try SQLiteLogStore(directory: directory)
let day: Int64 = 86_400_000_000
let start: Int64 = 1_795_392_000_000_000  // 2026-11-23T00:00:00Z, µs
let step = day / Int64(total)
var batch: [StoredEvent] = []
for n in 0..<total {
    batch.append(try StoredEvent(line: W1.canonicalLine(n, tenant: "tenant-0", at: start + Int64(n) * step), tenant: "tenant-0"))
    if batch.count == 1000 {
        _ = try store.append(batch)
        batch.removeAll(keepingCapacity: true)
    }
}
if !batch.isEmpty { _ = try store.append(batch) }

let engine = LogQLEngine(store: store)

let ns: Int64 = 1000
let dayStart = start * ns
let dayEnd = (start + day) * ns
let requestID = W1.requestID(total / 2)
func metric(_ text: String) -> MetricExpression {
    guard case .metric(let metric) = try! LogQLParser.parse(text) else { fatalError(text) }
    return metric
}
func selector(_ text: String) -> LogSelector {
    guard case .log(let selector) = try! LogQLParser.parse(text) else { fatalError(text) }
    return selector
}
func count(_ result: QueryResult) -> Int {
    switch result {
    case .streams(let streams): streams.reduce(0) { $0 + $1.entries.count }
    case .matrix(let series): series.reduce(0) { $0 + $1.points.count }
    case .vector(let samples): samples.count
    case .scalar: 1
    }
}

/// Every event `query` finds, page by page, as `/v1/events` reads them; returns how many.
func allPages(_ query: EventQuery) throws -> Int {
    var query = query
    var found = 0
    while true {
        let page = try store.events(query)
        found += page.events.count
        guard let next = page.next else { return found }
        query.after = next
    }
}

print("query-load: \(total) events of one tenant over 24 h")
try Latency.measure("the store alone: every event of the day, page by page") {
    try allPages(EventQuery(tenant: "tenant-0", from: start, to: start + day, limit: 1000))
}
try Latency.measure("sum by (level) (count_over_time({service=\"api\"}[1m])) over 24 h, step 5m") {
    count(try engine.range(metric(#"sum by (level) (count_over_time({service="api"}[1m]))"#), tenant: "tenant-0", start: dayStart, end: dayEnd, step: 300 * 1_000_000_000))
}
try Latency.measure("topk(5, sum by (route) (rate({service=\"api\"}[5m]))) over 6 h, step 1m") {
    count(try engine.range(metric(#"topk(5, sum by (route) (rate({service="api"}[5m])))"#), tenant: "tenant-0", start: dayEnd - 6 * 3_600_000_000_000, end: dayEnd, step: 60 * 1_000_000_000))
}
try Latency.measure("{service=\"api\"} |= \"\(requestID)\" (a substring, 100 lines, backward)") {
    count(try engine.logs(selector(#"{service="api"} |= ""# + requestID + "\""), tenant: "tenant-0", start: dayStart, end: dayEnd, limit: 100, direction: .backward))
}
try Latency.measure("{service=\"api\"} | request_id=\"\(requestID)\" (an id lookup)") {
    count(try engine.logs(selector(#"{service="api"} | request_id=""# + requestID + "\""), tenant: "tenant-0", start: dayStart, end: dayEnd, limit: 100, direction: .backward))
}
try Latency.measure("{service=\"api\"} |= \"handled\" (a substring in every message, 100 lines, forward)") {
    count(try engine.logs(selector(#"{service="api"} |= "handled""#), tenant: "tenant-0", start: dayStart, end: dayEnd, limit: 100, direction: .forward))
}
try Latency.measure("{service=\"api\"} |= \"handled\" (a substring in every message, 100 lines, backward: Grafana's default)") {
    count(try engine.logs(selector(#"{service="api"} |= "handled""#), tenant: "tenant-0", start: dayStart, end: dayEnd, limit: 100, direction: .backward))
}
try Latency.measure("baseline: /v1/events' text search for the same substring (the store's own query, 100 lines)") {
    try store.events(EventQuery(tenant: "tenant-0", from: start, to: start + day, text: "handled", limit: 100)).events.count
}
try Latency.measure("baseline: /v1/events' request_id lookup (the store's own query)") {
    try store.events(EventQuery(tenant: "tenant-0", from: start, to: start + day, ids: [.requestID: requestID], limit: 100)).events.count
}
try? FileManager.default.removeItem(atPath: directory)
