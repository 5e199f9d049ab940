// `store-load DIR [EVENTS=10000000] [TENANTS=100]`: the store's own ceiling, and the W3 data set.
// Appends EVENTS W1 events (shared/bench/STANDARD.md; request ids differ per event) spread over 24 h and TENANTS
// tenants to a fresh SQLiteLogStore in DIR, as each tenant's sender would — batches of 1,000 of one tenant's events —
// printing the rate every million; then times lookups of 200 random request ids and 20 text searches (p50/p99), and
// writes DIR/samples.txt (tenant, request_id) for the server benchmark's lookups.
import Foundation
import Keel
import KeelStore
import KeelSQLiteStore
import W1Workload

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    print("usage: store-load DIR [EVENTS] [TENANTS]")
    exit(2)
}
let directory = arguments[1]
let total = arguments.count > 2 ? Int(arguments[2]) ?? 10_000_000 : 10_000_000
let tenants = arguments.count > 3 ? Int(arguments[3]) ?? 100 : 100
try? FileManager.default.removeItem(atPath: directory)
// Every tenant-day open, as a server configured for this many tenants would keep them (--max-open-days).
let store = try SQLiteLogStore(directory: directory, maximumOpenPartitions: 2 * tenants + 8)
let start: Int64 = 1_795_392_000_000_000  // 2026-11-23T00:00:00Z
let step = max(1, 86_400_000_000 / Int64(total))  // 24 h in all
let names = (0..<tenants).map { "tenant-\($0)" }

var samples: [(tenant: String, requestID: String)] = []
let clock = ContinuousClock()
let began = clock.now
var lap = clock.now
var appendTime: Duration = .zero
var batches = Array(repeating: [StoredEvent](), count: tenants)
func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
for n in 0..<total {
    let t = n % tenants
    batches[t].append(try StoredEvent(line: W1.canonicalLine(n, tenant: names[t], at: start + Int64(n) * step), tenant: names[t]))
    if n % max(1, total / 200) == 0 { samples.append((names[t], W1.requestID(n))) }
    if batches[t].count == 1000 {
        let t0 = clock.now
        _ = try store.append(batches[t])
        appendTime += clock.now - t0
        batches[t].removeAll(keepingCapacity: true)
    }
    if (n + 1) % 1_000_000 == 0 {
        print("\(n + 1) events: \(Int(1_000_000 / seconds(clock.now - lap))) events/s over the last million")
        lap = clock.now
    }
}
for batch in batches where !batch.isEmpty { _ = try store.append(batch) }
let elapsed = seconds(clock.now - began)
print("ingest: \(total) events in \(String(format: "%.1f", elapsed)) s = \(Int(Double(total) / elapsed)) events/s (loader included)")
print("store.append alone: \(Int(Double(total) / seconds(appendTime))) events/s (batches of 1,000 of one tenant)")

func percentiles(_ samples: [Duration]) -> String {
    let ms = samples.map { seconds($0) * 1e3 }.sorted()
    return String(format: "p50 %.2f ms, p99 %.2f ms", ms[ms.count / 2], ms[min(ms.count - 1, ms.count * 99 / 100)])
}
var lookups: [Duration] = []
for sample in samples {
    let t0 = clock.now
    let page = try store.events(EventQuery(tenant: sample.tenant, ids: [.requestID: sample.requestID]))
    lookups.append(clock.now - t0)
    precondition(page.events.count == 1, "request \(sample.requestID) not found")
}
print("request_id lookup (\(lookups.count) ids): \(percentiles(lookups))")
var searches: [Duration] = []
for k in 0..<20 {
    let t0 = clock.now
    let found = try store.events(EventQuery(tenant: names[k % tenants], from: start, to: start + 86_400_000_000, text: "HANDLED", limit: 100))
    searches.append(clock.now - t0)
    precondition(found.events.count == min(100, total / tenants), "search found \(found.events.count)")
}
print("text search \"HANDLED\", one tenant, 24 h, first 100 (20 searches): \(percentiles(searches))")
let size = store.sizeInBytes()
print("store size: \(size / 1_000_000) MB (\(size / Int64(total)) bytes per event)")
try samples.map { "\($0.tenant)\t\($0.requestID)" }.joined(separator: "\n").write(toFile: directory + "/samples.txt", atomically: true, encoding: .utf8)
