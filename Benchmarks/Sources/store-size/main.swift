// `store-size DIR [EVENTS=1000000] [TENANTS=10]`: the same W1 events (24 h, spread over TENANTS tenants, appended in
// each tenant's batches of 1,000) into the SQLite store and into store v2's blocks, one after the other: the time the
// appends took, and the bytes on disk per event (for v2 after its heads are flushed, and with them still in their
// logs).
import Foundation
import Keel
import KeelBlockStore
import KeelSQLiteStore
import KeelStore
import W1Workload

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    print("usage: store-size DIR [EVENTS] [TENANTS]")
    exit(2)
}
let directory = arguments[1]
let total = arguments.count > 2 ? Int(arguments[2]) ?? 1_000_000 : 1_000_000
let tenants = arguments.count > 3 ? Int(arguments[3]) ?? 10 : 10
let start: Int64 = 1_795_392_000_000_000  // 2026-11-23T00:00:00Z
let step = max(1, 86_400_000_000 / Int64(total))
let clock = ContinuousClock()

/// Appends the W1 events to `store` and returns the seconds it took.
func load(_ store: any LogStore) throws -> Double {
    var batches: [[StoredEvent]] = Array(repeating: [], count: tenants)
    let began = clock.now
    for n in 0..<total {
        let tenant = n % tenants
        batches[tenant].append(try StoredEvent(line: W1.canonicalLine(n, tenant: "tenant-\(tenant)", at: start + Int64(n) * step), tenant: "tenant-\(tenant)"))
        if batches[tenant].count == 1000 {
            _ = try store.append(batches[tenant])
            batches[tenant].removeAll(keepingCapacity: true)
        }
    }
    for batch in batches where !batch.isEmpty { _ = try store.append(batch) }
    let elapsed = clock.now - began
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

func report(_ name: String, seconds: Double, bytes: Int64) {
    print(String(format: "%@: %.1f s to append (%.0f events/s), %.1f bytes an event on disk", name, seconds, Double(total) / seconds, Double(bytes) / Double(total)))
}

print("store-size: \(total) W1 events over 24 h and \(tenants) tenants")
try? FileManager.default.removeItem(atPath: directory)
do {
    let store = try SQLiteLogStore(directory: directory + "/sqlite", maximumOpenPartitions: 2 * tenants + 8)
    let seconds = try load(store)
    report("SQLite store", seconds: seconds, bytes: store.sizeInBytes())
}
do {
    let store = try BlockLogStore(directory: directory + "/blocks")
    let seconds = try load(store)
    report("blocks, heads still in their logs", seconds: seconds, bytes: store.sizeInBytes())
    try store.flush()
    report("blocks, heads flushed", seconds: seconds, bytes: store.sizeInBytes())
}
try? FileManager.default.removeItem(atPath: directory)
