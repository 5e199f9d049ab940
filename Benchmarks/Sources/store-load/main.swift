// `store-load DIR [EVENTS=10000000] [TENANTS=100]`: appends EVENTS W1-sized events (random request and trace ids,
// spread over 24 h and TENANTS tenants) to a fresh SQLiteLogStore in DIR in batches of 1,000, printing the ingest
// rate every million; then times lookups of 200 random request ids and 20 text searches (p50/p99).
import Foundation
import Keel
import KeelStore

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    print("usage: store-load DIR [EVENTS] [TENANTS]")
    exit(2)
}
let directory = arguments[1]
let total = arguments.count > 2 ? Int(arguments[2]) ?? 10_000_000 : 10_000_000
let tenants = arguments.count > 3 ? Int(arguments[3]) ?? 100 : 100
try? FileManager.default.removeItem(atPath: directory)
let store = try SQLiteLogStore(directory: directory)
let start: Int64 = 1_795_392_000_000_000  // 2026-11-23T00:00:00Z
let step = max(1, 86_400_000_000 / Int64(total))  // 24 h in all
var generator = SystemRandomNumberGenerator()
func hex(_ value: UInt64) -> String {
    let text = String(value, radix: 16)
    return String(repeating: "0", count: 16 - text.count) + text
}

var sampleIDs: [(tenant: String, requestID: String)] = []
let clock = ContinuousClock()
let began = clock.now
var lap = clock.now
var batch: [StoredEvent] = []
batch.reserveCapacity(1000)
for n in 0..<total {
    let requestID = hex(generator.next()) + hex(generator.next())
    let tenant = "tenant-\(n % tenants)"
    var line = OutputBuffer(capacity: 512)
    line.append("{\"timestamp\":\"")
    line.appendRFC3339(Timestamp(microsecondsSinceEpoch: start + Int64(n) * step))
    line.appendRaw("\",\"level\":\"INFO\",\"message\":\"request handled in \(n % 997) ms\",\"event\":\"http.request\",")
    line.append("\"logger\":\"api\",\"service\":\"api\",\"host\":\"web-1\",\"pid\":4242,\"schema_version\":1,\"event_id\":\"")
    line.appendUUID(high: UInt64(start + Int64(n) * step) << 16 | 0x7000, low: 0x8000_0000_0000_0000 | UInt64(n))
    line.appendRaw("\",\"storage_class\":\"ops\",\"request_id\":\"\(requestID)\",\"trace_id\":\"\(hex(generator.next()))\",")
    line.appendRaw("\"tenant_id\":\"\(tenant)\",\"method\":\"GET\",\"route\":\"/v1/users/{id}\",\"status\":200,")
    line.append("\"duration_ms\":12.5,\"bytes_out\":512}")
    let text = String(decoding: line.bytes, as: UTF8.self)
    line.deallocate()
    batch.append(try StoredEvent(line: text, tenant: tenant))
    if n % (total / 200) == 0 { sampleIDs.append((tenant, requestID)) }
    if batch.count == 1000 {
        _ = try store.append(batch)
        batch.removeAll(keepingCapacity: true)
    }
    if (n + 1) % 1_000_000 == 0 {
        let seconds = Double((clock.now - lap).components.attoseconds) / 1e18 + Double((clock.now - lap).components.seconds)
        print("\(n + 1) events: \(Int(1_000_000 / seconds)) events/s over the last million")
        lap = clock.now
    }
}
if !batch.isEmpty { _ = try store.append(batch) }
let elapsed = clock.now - began
let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
print("ingest: \(total) events in \(String(format: "%.1f", seconds)) s = \(Int(Double(total) / seconds)) events/s")

func percentiles(_ samples: [Duration]) -> String {
    let ms = samples.map { Double($0.components.seconds) * 1e3 + Double($0.components.attoseconds) / 1e15 }.sorted()
    return String(format: "p50 %.2f ms, p99 %.2f ms", ms[ms.count / 2], ms[min(ms.count - 1, ms.count * 99 / 100)])
}
var lookups: [Duration] = []
for sample in sampleIDs {
    let t0 = clock.now
    let page = try store.events(EventQuery(tenant: sample.tenant, ids: [.requestID: sample.requestID]))
    lookups.append(clock.now - t0)
    precondition(page.events.count == 1, "request \(sample.requestID) not found")
}
print("request_id lookup (\(lookups.count) ids): \(percentiles(lookups))")
var searches: [Duration] = []
for k in 0..<20 {
    let t0 = clock.now
    _ = try store.events(EventQuery(tenant: "tenant-\(k)", text: "handled in \(100 + k) ms", limit: 100))
    searches.append(clock.now - t0)
}
print("text search, one tenant, 24 h, first 100 (20 searches): \(percentiles(searches))")
let size = try FileManager.default.subpathsOfDirectory(atPath: directory).reduce(Int64(0)) { sum, name in
    sum + ((try? FileManager.default.attributesOfItem(atPath: directory + "/" + name)[.size] as? Int64) ?? 0)
}
print("store size: \(size / 1_000_000) MB (\(size / Int64(total)) bytes per event)")
