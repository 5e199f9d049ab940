// `store-compare sqlite|blocks DIR [EVENTS=1000000] [TENANTS=10]`: one store, measured the way the store issue's table
// measures it, in a process of its own (run it once per store, one after the other, for same-run ratios):
// - W1 events over 24 h across TENANTS tenants, appended in each tenant's batches of 1,000: events/s, CPU seconds per
//   million events, peak RSS, and bytes on disk per event (for blocks: with heads flushed, then after merging);
// - 1 % of each tenant's messages say "upstream timeout" (the all-hits and first-100 searches), 10 of each tenant's
//   say "zanzibar" (a rare word), and "pstream tim" is a mid-word substring;
// - queries on tenant-0's day: a request_id lookup cold (11 fresh store objects on the same files) and warm (200
//   lookups), the first 100 hits of a substring oldest first (`/v1/events`) and newest first (a backward LogQL
//   query), a rare word, a mid-word substring, every hit of a substring, and `sum by (level) (count_over_time(…))`
//   over 24 h.
// Each query runs 20 times after a warm-up; p50 and p99 (the slowest of 20) in ms.
import Foundation
import Keel
import KeelBlockStore
import KeelQuery
import KeelSQLiteStore
import KeelStore
import W1Workload

let arguments = CommandLine.arguments
guard arguments.count >= 3, ["sqlite", "blocks"].contains(arguments[1]) else {
    print("usage: store-compare sqlite|blocks DIR [EVENTS] [TENANTS]")
    exit(2)
}
let kind = arguments[1]
let directory = arguments[2]
let total = arguments.count > 3 ? Int(arguments[3]) ?? 1_000_000 : 1_000_000
let tenants = arguments.count > 4 ? Int(arguments[4]) ?? 10 : 10
// 2026-11-23T00:00:00Z, or KEEL_COMPARE_START (µs since the epoch): a day that ends now, for the ruler's load.
let start: Int64 = ProcessInfo.processInfo.environment["KEEL_COMPARE_START"].flatMap { Int64($0) } ?? 1_795_392_000_000_000
let day: Int64 = 86_400_000_000
let step = max(1, day / Int64(total))
let clock = ContinuousClock()
func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }

func open() throws -> any LogStore {
    kind == "sqlite"
        ? try SQLiteLogStore(directory: directory, maximumOpenPartitions: 2 * tenants + 8)
        : try BlockLogStore(directory: directory)
}

func line(_ n: Int, tenant: String) -> String {
    let base = W1.canonicalLine(n, tenant: tenant, at: start + Int64(n) * step)
    let k = n / tenants  // the event's place in its tenant's day
    let rare = k % max(1, total / tenants / 10) == 3
    let message = rare ? "request handled with zanzibar fallback" : k % 100 == 7 ? "request handled after upstream timeout" : nil
    return message.map { base.replacingOccurrences(of: "\"message\":\"request handled\"", with: "\"message\":\"\($0)\"") } ?? base
}

func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

func peakRSS() -> String {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    return status.split(separator: "\n").first { $0.hasPrefix("VmHWM") }.map { $0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().joined(separator: " ") } ?? "?"
}

// With KEEL_COMPARE_REUSE=1, the store a previous run left in DIR (same EVENTS and TENANTS) is queried again, and
// kept: for profiling the queries alone.
let reuse = ProcessInfo.processInfo.environment["KEEL_COMPARE_REUSE"] == "1" && FileManager.default.fileExists(atPath: directory)
if !reuse { try? FileManager.default.removeItem(atPath: directory) }
print("store-compare \(kind): \(total) W1 events over 24 h and \(tenants) tenants")
if !reuse {
    let store = try open()
    var batches: [[StoredEvent]] = Array(repeating: [], count: tenants)
    let cpu = cpuSeconds()
    let began = clock.now
    for n in 0..<total {
        let tenant = n % tenants
        batches[tenant].append(try StoredEvent(line: line(n, tenant: "tenant-\(tenant)"), tenant: "tenant-\(tenant)"))
        if batches[tenant].count == 1000 {
            _ = try store.append(batches[tenant])
            batches[tenant].removeAll(keepingCapacity: true)
        }
    }
    for batch in batches where !batch.isEmpty { _ = try store.append(batch) }
    let elapsed = seconds(clock.now - began)
    let used = cpuSeconds() - cpu
    print(String(format: "append: %.0f events/s, %.1f CPU s per million events (events built and appended), peak RSS %@", Double(total) / elapsed, used * 1e6 / Double(total), peakRSS()))
    print(String(format: "disk: %.1f bytes an event", Double(store.sizeInBytes()) / Double(total)))
    if let blocks = store as? BlockLogStore {
        try blocks.flush()
        print(String(format: "disk, heads flushed: %.1f bytes an event", Double(store.sizeInBytes()) / Double(total)))
        let merging = clock.now
        for _ in 0..<10_000 {
            let before = store.sizeInBytes()
            try blocks.maintain(mergeTime: 1)
            if store.sizeInBytes() == before { break }
        }
        print(String(format: "disk, merged: %.1f bytes an event (merging took %.1f s)", Double(store.sizeInBytes()) / Double(total), seconds(clock.now - merging)))
    }
}


let range = (from: start, to: start + day)
let ids = (0..<200).map { W1.requestID(($0 * 7919 % (total / tenants)) * tenants) }
// Cold: the first query of a store just opened on the files, 11 times (a fresh store each, another id each): one
// such figure moves by several times from run to run on a shared machine.
var colds: [Double] = []
var found = 0
for id in ids.prefix(11) {
    let fresh = try open()
    let began = clock.now
    found += try fresh.events(EventQuery(tenant: "tenant-0", from: range.from, to: range.to, ids: [.requestID: id], limit: 100)).events.count
    colds.append(seconds(clock.now - began) * 1000)
}
colds.sort()
print(String(format: "request_id lookup, cold (a fresh store on the same files, 11 times): p50 %.1f ms, slowest %.1f ms (%d of 11 found)", colds[5], colds[10], found))
let store = try open()
// KEEL_COMPARE_COLD_ONLY=1 stops here: for profiling the cold lookup alone.
if ProcessInfo.processInfo.environment["KEEL_COMPARE_COLD_ONLY"] == "1" { exit(0) }
var lookups: [Double] = []
for id in ids {
    let began = clock.now
    _ = try store.events(EventQuery(tenant: "tenant-0", from: range.from, to: range.to, ids: [.requestID: id], limit: 100))
    lookups.append(seconds(clock.now - began) * 1000)
}
lookups.sort()
print(String(format: "request_id lookup, warm (200 ids): p50 %.2f ms, p99 %.2f ms", lookups[100], lookups[197]))

// KEEL_COMPARE_LOOKUPS_ONLY=1 stops here: for profiling the lookups alone.
if ProcessInfo.processInfo.environment["KEEL_COMPARE_LOOKUPS_ONLY"] == "1" { exit(0) }

func text(_ text: String, limit: Int = 100) throws -> Int {
    try store.events(EventQuery(tenant: "tenant-0", from: range.from, to: range.to, text: text, limit: limit)).events.count
}
let engine = LogQLEngine(store: store)
func selector(_ text: String) -> LogSelector {
    guard case .log(let selector) = try! LogQLParser.parse(text) else { fatalError(text) }
    return selector
}
func metric(_ text: String) -> MetricExpression {
    guard case .metric(let metric) = try! LogQLParser.parse(text) else { fatalError(text) }
    return metric
}
try Latency.measure("substring \"upstream timeout\", first 100, oldest first (/v1/events)") { try text("upstream timeout") }
try Latency.measure("substring \"upstream timeout\", first 100, newest first (LogQL backward)") {
    let result = try engine.logs(selector(#"{service="api"} |= "upstream timeout""#), tenant: "tenant-0", start: range.from * 1000, end: range.to * 1000, limit: 100, direction: .backward)
    guard case .streams(let streams) = result else { return 0 }
    return streams.reduce(0) { $0 + $1.entries.count }
}
try Latency.measure("a rare word, \"zanzibar\"") { try text("zanzibar") }
try Latency.measure("mid-word substring \"pstream tim\", first 100") { try text("pstream tim") }
try Latency.measure("substring \"upstream timeout\", every hit (pages of 1,000)") {
    var query = EventQuery(tenant: "tenant-0", from: range.from, to: range.to, text: "upstream timeout", limit: 1000)
    var found = 0
    while true {
        let page = try store.events(query)
        found += page.events.count
        guard let next = page.next else { return found }
        query.after = next
    }
}
try Latency.measure("sum by (level) (count_over_time({service=\"api\"}[5m])) over 24 h, step 5m") {
    let result = try engine.range(metric(#"sum by (level) (count_over_time({service="api"}[5m]))"#), tenant: "tenant-0", start: range.from * 1000, end: range.to * 1000, step: 300 * 1_000_000_000)
    guard case .matrix(let series) = result else { return 0 }
    return series.reduce(0) { $0 + $1.points.count }
}
print("peak RSS of the whole run: \(peakRSS())")
if ProcessInfo.processInfo.environment["KEEL_COMPARE_REUSE"] != "1" { try? FileManager.default.removeItem(atPath: directory) }
