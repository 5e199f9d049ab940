import Foundation
import Keel
import KeelBlockStore
import KeelQuery
import KeelSQLiteStore
import KeelStore
import Testing

/// What the engine asks a store to narrow by itself — line filters by the block store's columns, and counts by
/// labels read as members instead of lines — gives the answers of reading every line, on both stores.
struct StorePushdownTests {
    /// The engine tests' events, and lines that read a label from `context`, lack one, escape one, or hold the
    /// filters' text outside the message.
    static func lines() -> [String] {
        var lines = LogQLEngineTests.events().map(\.line)
        let origin = LogQLEngineTests.origin
        for n in 0..<200 {
            let stamp = Timestamp(microsecondsSinceEpoch: (origin + Int64(n) * 31_000_000_000) / 1000)
            let line =
                switch n % 5 {
                case 0: #"{"timestamp":"\#(stamp)","level":"ERROR","message":"no service here","event_id":"x-\#(n)","context":{"service":"api","job":"loki"}}"#
                case 1: #"{"timestamp":"\#(stamp)","level":"WARN","message":"an escaped \u0074imeout","event_id":"x-\#(n)","service":"ap\u0069"}"#
                case 2: #"{"timestamp":"\#(stamp)","level":null,"message":"level is null","event_id":"x-\#(n)","service":"api","route":"/timeout"}"#
                case 3: #"{"timestamp":"\#(stamp)","level":"INFO","message":"status only","event_id":"x-\#(n)","service":"api","status":503}"#
                default: #"{ "timestamp": "\#(stamp)", "level": "ERROR", "message": "spaced out timeout", "event_id": "x-\#(n)", "service": "api" }"#
                }
            lines.append(line)
        }
        return lines
    }

    static func stores() throws -> (stores: [any LogStore], directory: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keel-pushdown-\(UUID().uuidString)").path
        let sqlite = try SQLiteLogStore(directory: directory + "/sqlite")
        // Small blocks, so that reads cross many of them.
        let blocks = try BlockLogStore(directory: directory + "/blocks", policy: FlushPolicy(maximumRows: 64, maximumBytes: 1 << 20, maximumAge: .max / 2))
        let events = try lines().map { try StoredEvent(line: $0, tenant: "t1") }
        for store in [sqlite, blocks] as [any LogStore] {
            for batch in stride(from: 0, to: events.count, by: 500) { _ = try store.append(Array(events[batch..<min(batch + 500, events.count)])) }
        }
        try blocks.flush()
        return ([sqlite, blocks], directory)
    }

    static let start = LogQLEngineTests.origin
    static let end = LogQLEngineTests.origin + 130 * LogQLEngineTests.minute

    @Test func countsByLabelsAgreeWithCountsFromLines() throws {
        let (stores, directory) = try Self.stores()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let queries = [
            #"sum by (level) (count_over_time({service="api"}[5m]))"#,
            #"sum by (level, route) (rate({level=~"ERROR|WARN"}[10m]))"#,
            #"sum by (status) (count_over_time({service=~".+", route!="/health"}[30m]))"#,
            #"sum(count_over_time({job="loki"}[1h]))"#,
            // A field that is not a label groups too (read from the store's columns, or from `context`).
            #"sum by (request_id) (count_over_time({service="worker", level="ERROR"}[5m]))"#,
            #"sum by (request_id, route) (rate({service="worker", level="ERROR"}[10m]))"#,
            #"sum by (level) (count_over_time({service="api", level=""}[30m]))"#,
        ]
        for store in stores {
            let engine = LogQLEngine(store: store)
            for query in queries {
                // The same query with a stage that keeps every line reads records, line by line.
                let lineByLine = query.replacingOccurrences(of: "}[", with: #"} | keel_no_such_label="" ["#)
                guard case .metric(let pushed) = try LogQLParser.parse(query), case .metric(let read) = try LogQLParser.parse(lineByLine) else {
                    Issue.record("\(query) is not a metric query")
                    continue
                }
                let step = 5 * LogQLEngineTests.minute
                let got = try engine.range(pushed, tenant: "t1", start: Self.start, end: Self.end, step: step)
                let want = try engine.range(read, tenant: "t1", start: Self.start, end: Self.end, step: step)
                #expect(got == want, "\(type(of: store)): \(query)")
                guard case .matrix(let series) = want else { continue }
                #expect(!series.isEmpty, "\(query) finds something")
                if query.contains("by (request_id") {
                    #expect(series.count > 1 && series.allSatisfy { $0.labels["request_id"] != nil }, "\(query): one series per request id")
                }
            }
        }
    }

    @Test func linesOfOneStreamAreOneStreamHoweverTheirLabelsAreWritten() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keel-streams-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try BlockLogStore(directory: directory)
        let stamp = { (n: Int) in Timestamp(microsecondsSinceEpoch: Self.start / 1000 + Int64(n) * 1_000_000) }
        let lines = [
            #"{"timestamp":"\#(stamp(0))","service":"api","level":"INFO","message":"a","event_id":"s-0"}"#,
            #"{"timestamp":"\#(stamp(1))","level":"INFO","service":"api","message":"b","event_id":"s-1"}"#,
            #"{"timestamp":"\#(stamp(2))","service":"ap\u0069","level":"INFO","message":"c","event_id":"s-2"}"#,
            #"{"timestamp":"\#(stamp(3))","service":"api","level":"WARN","message":"d","event_id":"s-3"}"#,
            #"{"timestamp":"\#(stamp(4))","service":"api","level":"INFO","message":"e","event_id":"s-4"}"#,
        ]
        _ = try store.append(try lines.map { try StoredEvent(line: $0, tenant: "t1") })
        guard case .log(let selector) = try LogQLParser.parse(#"{service="api"}"#) else { return }
        guard case .streams(let streams) = try LogQLEngine(store: store).logs(selector, tenant: "t1", start: Self.start, end: Self.end, limit: 10, direction: .forward) else {
            Issue.record("not streams")
            return
        }
        #expect(streams.count == 2)
        #expect(streams.first { $0.labels["level"] == "INFO" }?.entries.count == 4)
        #expect(streams.first { $0.labels["level"] == "WARN" }?.entries.count == 1)
    }

    @Test func lineFiltersFindTheSameLinesWhereverTheTextIs() throws {
        let (stores, directory) = try Self.stores()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // In messages, in a key, in a number, in a row time, in an escape, in `context`, and nowhere.
        let needles = ["timeout", "duration_m", "503", "2026-12-01T0", "\\u0074", "loki", "zanzibar", "req-0123", "/v1/chat"]
        var answers: [String: [LogStream]] = [:]
        for store in stores {
            let engine = LogQLEngine(store: store)
            for needle in needles {
                for direction in [LogQLEngine.Direction.backward, .forward] {
                    let text = needle.replacingOccurrences(of: "\\", with: "\\\\")
                    guard case .log(let selector) = try LogQLParser.parse(#"{event_id=~".+"} |= "\#(text)""#) else { continue }
                    guard case .streams(let streams) = try engine.logs(selector, tenant: "t1", start: Self.start, end: Self.end, limit: 5_000, direction: direction) else { continue }
                    let found = streams.flatMap(\.entries)
                    #expect(found.allSatisfy { $0.line.contains(needle) }, "\(needle)")
                    let key = "\(needle) \(direction)"
                    if let other = answers[key] {
                        #expect(streams == other, "\(type(of: store)): \(key)")
                    } else {
                        answers[key] = streams
                    }
                }
            }
        }
        // Every line that holds the text is found (the SQLite store reads every line).
        let all = Self.lines()
        for needle in needles {
            let count = answers["\(needle) forward"]?.flatMap(\.entries).count ?? -1
            #expect(count == all.filter { $0.contains(needle) }.count, "\(needle)")
        }
    }
}
