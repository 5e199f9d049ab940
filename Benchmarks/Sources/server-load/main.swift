// Load for `keel serve` (shared/bench/STANDARD.md W2 and W3), every loop bounded in count and time:
//   server-load ingest URL TOKEN SECONDS [CLIENTS=2] [BATCH=1000]   W2: NDJSON bodies of W1 events from CLIENTS
//                                                                    concurrent clients; events/s acknowledged and
//                                                                    request latency p50/p99
//   server-load read URL ADMIN_TOKEN SAMPLES FROM TO                 W3: request_id lookups (SAMPLES: tenant<TAB>id
//                                                                    lines from store-load) and substring searches
//                                                                    over [FROM, TO) for one tenant, p50/p99
//   server-load tail URL INGEST_TOKEN READ_TOKEN [COUNT=200]         W3: time from an ingest acknowledgement to the
//                                                                    event's arrival on an open live tail, p50/p99
import AsyncHTTPClient
import Foundation
import Keel
import NIOCore
import NIOHTTP1
import Synchronization
import W1Workload

let arguments = Array(CommandLine.arguments.dropFirst())
func argument(_ i: Int, _ fallback: String? = nil) -> String {
    guard i < arguments.count else {
        guard let fallback else {
            print("usage: server-load ingest|read|tail … (see the comment at the top of main.swift)")
            exit(2)
        }
        return fallback
    }
    return arguments[i]
}

func milliseconds(_ d: Duration) -> Double { Double(d.components.seconds) * 1e3 + Double(d.components.attoseconds) / 1e15 }
func percentiles(_ samples: [Duration]) -> String {
    let ms = samples.map(milliseconds).sorted()
    guard !ms.isEmpty else { return "no samples" }
    return String(format: "p50 %.2f ms, p99 %.2f ms (n=%d)", ms[ms.count / 2], ms[min(ms.count - 1, ms.count * 99 / 100)], ms.count)
}

func post(_ url: String, token: String, body: ByteBuffer, headers: [(String, String)] = []) async throws -> (Int, ByteBuffer) {
    var request = HTTPClientRequest(url: url)
    request.method = .POST
    request.headers.add(name: "Authorization", value: "Bearer \(token)")
    request.headers.add(name: "Content-Type", value: "application/x-ndjson")
    for (name, value) in headers { request.headers.add(name: name, value: value) }
    request.body = .bytes(body)
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
    return (Int(response.status.code), try await response.body.collect(upTo: 1 << 20))
}

func get(_ url: String, token: String, tenant: String? = nil) async throws -> (Int, ByteBuffer) {
    var request = HTTPClientRequest(url: url)
    request.headers.add(name: "Authorization", value: "Bearer \(token)")
    if let tenant { request.headers.add(name: "X-Scope-OrgID", value: tenant) }
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
    return (Int(response.status.code), try await response.body.collect(upTo: 64 << 20))
}

final class Counter: Sendable {
    let value = Atomic<Int>(0)
}

switch argument(0) {
case "ingest":
    let url = argument(1) + "/v1/events"
    let token = argument(2)
    let seconds = Int(argument(3, "60"))!
    let clients = Int(argument(4, "2"))!
    let batch = Int(argument(5, "1000"))!
    // Timestamped an hour ago onwards: inside retention, never ahead.
    let bodies = W2Bodies(tenant: "tenant_42", base: Timestamp.now().microsecondsSinceEpoch - 3_600_000_000)
    precondition(bodies.checked(tenant: "tenant_42"), "W2 bodies differ from W1.canonicalLine")
    let deadline = ContinuousClock.now + .seconds(seconds)
    let next = Counter()
    let clock = ContinuousClock()
    let began = clock.now
    let results = try await withThrowingTaskGroup(of: (Int, [Duration], Int).self) { group in
        for _ in 0..<clients {
            group.addTask {
                var latencies: [Duration] = []
                var stored = 0
                var failures = 0
                // At most 100,000 requests per client, and never past the deadline.
                for _ in 0..<100_000 where ContinuousClock.now < deadline {
                    let first = next.value.wrappingAdd(batch, ordering: .relaxed).oldValue
                    let payload = bodies.body(first: first, count: batch)
                    let t0 = clock.now
                    let (status, answer) = try await post(url, token: token, body: payload)
                    latencies.append(clock.now - t0)
                    if status == 200, let text = answer.getString(at: 0, length: answer.readableBytes),
                        let value = try? JSONParser.parse(text), let n = value["stored"]?.doubleValue
                    {
                        stored += Int(n)
                    } else {
                        failures += 1
                    }
                }
                return (stored, latencies, failures)
            }
        }
        var all: [(Int, [Duration], Int)] = []
        for try await result in group { all.append(result) }
        return all
    }
    let elapsed = milliseconds(clock.now - began) / 1000
    let stored = results.map(\.0).reduce(0, +)
    print(String(format: "W2 ingest: %d events acknowledged in %.1f s = %.0f events/s (%d clients, %d-event bodies, %d failed requests)",
                 stored, elapsed, Double(stored) / elapsed, clients, batch, results.map(\.2).reduce(0, +)))
    print("W2 request latency: \(percentiles(results.flatMap(\.1)))")

case "read":
    let base = argument(1)
    let token = argument(2)
    let samples = try String(contentsOfFile: argument(3), encoding: .utf8).split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
    let from = argument(4)
    let to = argument(5)
    let clock = ContinuousClock()
    var lookups: [Duration] = []
    for sample in samples.prefix(200) where sample.count == 2 {
        let t0 = clock.now
        let (status, answer) = try await get(base + "/v1/events?request_id=\(sample[1])", token: token, tenant: sample[0])
        lookups.append(clock.now - t0)
        precondition(status == 200 && answer.readableBytesView.count > 100, "lookup of \(sample[1]) failed: \(status)")
    }
    print("W3 request_id lookup over HTTP: \(percentiles(lookups))")
    var searches: [Duration] = []
    for k in 0..<20 {
        let t0 = clock.now
        let (status, _) = try await get(base + "/v1/events?q=HANDLED&from=\(from)&to=\(to)&limit=100", token: token, tenant: "tenant-\(k)")
        searches.append(clock.now - t0)
        precondition(status == 200)
    }
    print("W3 substring search (\"HANDLED\", one tenant, 24 h, first 100) over HTTP: \(percentiles(searches))")

case "tail":
    let base = argument(1)
    let ingest = argument(2)
    let read = argument(3)
    let count = min(2000, Int(argument(4, "200"))!)
    let clock = ContinuousClock()
    let arrivals = Mutex<[String: ContinuousClock.Instant]>([:])
    var request = HTTPClientRequest(url: base + "/v1/tail?event=tail.probe")
    request.headers.add(name: "Authorization", value: "Bearer \(read)")
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(600))
    let reader = Task {
        var pending: [UInt8] = []
        for try await buffer in response.body {
            pending += buffer.readableBytesView
            while let newline = pending.firstIndex(of: 0x0A) {
                let line = pending[..<newline]
                if line.starts(with: Array("data: ".utf8)),
                    let id = (try? JSONParser.parse(Array(line.dropFirst(6))))?["event_id"]?.stringValue
                {
                    let now = clock.now
                    arrivals.withLock { $0[id] = now }
                }
                pending.removeSubrange(...newline)
            }
        }
    }
    var acknowledged: [String: ContinuousClock.Instant] = [:]
    for n in 0..<count {
        let id = "tail-probe-\(UUID().uuidString)"
        let line = "{\"timestamp\":\"\(ISO8601DateFormatter().string(from: Date()))\",\"level\":\"INFO\",\"message\":\"probe \(n)\",\"event\":\"tail.probe\",\"event_id\":\"\(id)\"}"
        let (status, _) = try await post(base + "/v1/events", token: ingest, body: ByteBuffer(string: line))
        precondition(status == 200)
        acknowledged[id] = clock.now
        try await Task.sleep(for: .milliseconds(20))
    }
    let waitUntil = ContinuousClock.now + .seconds(10)
    while arrivals.withLock({ $0.count }) < count && ContinuousClock.now < waitUntil { try await Task.sleep(for: .milliseconds(10)) }
    reader.cancel()
    let seen = arrivals.withLock { $0 }
    let delays = acknowledged.map { id, ack in seen[id].map { max(.zero, $0 - ack) } ?? .seconds(10) }
    print("W3 tail delivery (acknowledgement → arrival on an open tail, \(seen.count)/\(count) arrived): \(percentiles(delays))")

default:
    print("usage: server-load ingest|read|tail …")
    exit(2)
}
