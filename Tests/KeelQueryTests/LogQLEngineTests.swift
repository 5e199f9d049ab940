import Foundation
import Keel
import KeelQuery
import KeelSQLiteStore
import KeelStore
import PropertyBased
import Synchronization
import Testing

/// The engine against a brute-force evaluator: the same events in a real store, queries generated from the grammar
/// Keel supports (swift-property-based), and every answer computed a second time by plain loops over the events.
struct LogQLEngineTests {
    /// A generated event, with the fields the brute force reads.
    struct Event {
        var time: Int64  // nanoseconds
        var service: String
        var level: String
        var route: String
        var status: Int
        var duration: Double
        var requestID: String
        var message: String
        var line: String

        var labels: [String: String] { ["service": service, "level": level, "route": route, "status": String(status)] }
    }

    static let origin: Int64 = 1_796_083_200_000_000_000  // 2026-12-01T00:00:00Z
    static let minute: Int64 = 60_000_000_000

    /// 2,000 events over two hours, from a fixed seed.
    static func events() -> [Event] {
        var random = SeededRandom(seed: 42)
        let services = ["api", "worker", "billing"]
        let levels = ["DEBUG", "INFO", "INFO", "INFO", "WARN", "ERROR"]
        let routes = ["/v1/chat", "/v1/users", "/health"]
        var events: [Event] = []
        for n in 0..<2_000 {
            let time = origin + Int64(n) * 3_600_000_000 + Int64(random.next(below: 1_000)) * 1_000
            let service = services[random.next(below: services.count)]
            let level = levels[random.next(below: levels.count)]
            let route = routes[random.next(below: routes.count)]
            let status = [200, 200, 201, 404, 500, 503][random.next(below: 6)]
            let duration = Double(random.next(below: 20_000)) / 10
            let requestID = String(format: "req-%05d", n)
            let message = ["request handled", "db timeout after retry", "cache miss", "payment declined"][random.next(below: 4)]
            let stamp = Timestamp(microsecondsSinceEpoch: time / 1000)
            let line =
                #"{"timestamp":"\#(stamp)","level":"\#(level)","message":"\#(message)","event_id":"evt-\#(n)","service":"\#(service)","route":"\#(route)","status":\#(status),"duration_ms":\#(duration),"request_id":"\#(requestID)"}"#
            events.append(Event(
                time: time, service: service, level: level, route: route, status: status, duration: duration,
                requestID: requestID, message: message, line: line))
        }
        return events
    }

    static func makeEngine(_ events: [Event]) throws -> (LogQLEngine, String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keel-logql-\(UUID().uuidString)").path
        let store = try SQLiteLogStore(directory: directory)
        _ = try store.append(try events.map { try StoredEvent(line: $0.line, tenant: "t1") })
        return (LogQLEngine(store: store), directory)
    }

    // MARK: Metric queries against brute force

    /// A metric query as the choices that make it, drawn by the property checker (which prints them, and shrinks
    /// them to the smallest failing one): the selector, a filter stage, the range function, its range, a grouping
    /// and an outer aggregation.
    struct QueryShape: Sendable, CustomStringConvertible {
        var selector: Int  // 0–2: one service; 3: a level regex; 4: a negative route matcher
        var filter: Int  // 0: a line filter; 1–3: a status threshold; 4: a duration and a route; 5: none
        var operation: Int
        var range: Int
        var grouping: Int
        var outer: Int

        static let operations = [
            "count_over_time", "rate", "sum_over_time", "avg_over_time", "min_over_time", "max_over_time", "quantile_over_time",
            "bytes_over_time",
        ]
        static let all = zip(
            Gen.int(in: 0...4), Gen.int(in: 0...5), Gen.int(in: 0...(operations.count - 1)), Gen.int(in: 0...2),
            Gen.int(in: 0...2), Gen.int(in: 0...3)
        ).map { QueryShape(selector: $0.0, filter: $0.1, operation: $0.2, range: $0.3, grouping: $0.4, outer: $0.5) }

        var operationName: String { Self.operations[operation] }
        var rangeLength: Int64 { [5, 10, 30][range] * LogQLEngineTests.minute }
        var unwraps: Bool { !["count_over_time", "rate", "bytes_over_time"].contains(operationName) }
        var groupingLabel: String? { [nil, "route", "level"][grouping] }
        var outerName: String? { [nil, "sum", "max", "topk"][outer] }

        /// The selector's LogQL, and the same selector as plain Swift over one event.
        var selectorText: (text: String, keeps: @Sendable (Event) -> Bool) {
            var text: String
            var tests: [@Sendable (Event) -> Bool] = []
            switch selector {
            case 0, 1, 2:
                let service = ["api", "worker", "billing"][selector]
                text = #"{service="\#(service)"}"#
                tests.append { $0.service == service }
            case 3:
                text = #"{level=~"ERROR|WARN"}"#
                tests.append { $0.level == "ERROR" || $0.level == "WARN" }
            default:
                text = #"{route!="/health", service=~".+"}"#
                tests.append { $0.route != "/health" }
            }
            switch filter {
            case 0:
                text += #" |= "timeout""#
                tests.append { $0.line.contains("timeout") }
            case 1, 2, 3:
                let status = [201, 404, 500][filter - 1]
                text += " | status >= \(status)"
                tests.append { $0.status >= status }
            case 4:
                text += #" | duration_ms > 500 and route="/v1/chat""#
                tests.append { $0.duration > 500 && $0.route == "/v1/chat" }
            default:
                break
            }
            let all = tests
            return (text, { event in all.allSatisfy { $0(event) } })
        }

        /// The whole query's LogQL.
        var query: String {
            var query = "\(operationName)(\(operationName == "quantile_over_time" ? "0.9, " : "")\(selectorText.text)"
                + "\(unwraps ? " | unwrap duration_ms" : "") [\(rangeLength / LogQLEngineTests.minute)m])"
            if let outerName {
                query = outerName == "topk" ? "topk(2, \(query))" : "\(outerName) by (\(groupingLabel ?? "service")) (\(query))"
            } else if let groupingLabel, unwraps {
                query += " by (\(groupingLabel))"
            }
            return query
        }

        var description: String { query }
    }

    @Test func metricQueriesAgreeWithBruteForce() async throws {
        let events = Self.events()
        let (engine, directory) = try Self.makeEngine(events)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let start = Self.origin + 20 * Self.minute
        let end = Self.origin + 110 * Self.minute
        let step = 7 * Self.minute
        let answered = Mutex(0)
        await propertyCheck(count: 60, input: QueryShape.all) { shape in
            let query = shape.query
            guard case .metric(let metric) = try LogQLParser.parse(query) else {
                Issue.record("\(query) is not a metric query")
                return
            }
            guard case .matrix(let series) = try engine.range(metric, tenant: "t1", start: start, end: end, step: step) else {
                Issue.record("\(query): not a matrix")
                return
            }
            let expected = Self.bruteForce(
                events: events, keeps: shape.selectorText.keeps, operation: shape.operationName, range: shape.rangeLength,
                unwraps: shape.unwraps, grouping: shape.outerName == nil ? (shape.unwraps ? shape.groupingLabel : nil) : nil,
                outer: shape.outerName, outerGrouping: shape.outerName == "topk" ? nil : (shape.groupingLabel ?? "service"),
                steps: Array(stride(from: start, through: end, by: Int(step))))
            if !series.isEmpty { answered.withLock { $0 += 1 } }
            #expect(
                Self.same(series, expected),
                "\(query)\n got \(series.map { "\($0.labels) \($0.points.map(\.value))" })\n want \(expected.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" })")
        }
        // Most generated queries find something: the agreement is not only on empty answers.
        let found = answered.withLock { $0 }
        #expect(found >= 40, "\(found) of 60 queries had an answer")
    }

    /// The series a query should give, by loops: per step, the events in (t − range, t], grouped, aggregated.
    static func bruteForce(
        events: [Event], keeps: (Event) -> Bool, operation: String, range: Int64, unwraps: Bool, grouping: String?,
        outer: String?, outerGrouping: String?, steps: [Int64]
    ) -> [LabelSet: [Int64: Double]] {
        var inner: [LabelSet: [Int64: Double]] = [:]
        for step in steps {
            var windows: [LabelSet: [Event]] = [:]
            for event in events where event.time > step - range && event.time <= step && keeps(event) {
                let labels = grouping.map { LabelSet([$0: event.labels[$0]!]) } ?? LabelSet(event.labels)
                windows[labels, default: []].append(event)
            }
            for (labels, window) in windows {
                let values = window.map(\.duration)
                let seconds = Double(range) / 1e9
                let value: Double =
                    switch operation {
                    case "count_over_time": Double(window.count)
                    case "rate": Double(window.count) / seconds
                    case "bytes_over_time": Double(window.reduce(0) { $0 + $1.line.utf8.count })
                    case "sum_over_time": values.reduce(0, +)
                    case "avg_over_time": values.reduce(0, +) / Double(values.count)
                    case "min_over_time": values.min()!
                    case "max_over_time": values.max()!
                    default: quantile(0.9, values)
                    }
                inner[labels, default: [:]][step] = value
            }
        }
        guard let outer else { return inner }
        var result: [LabelSet: [Int64: Double]] = [:]
        for step in steps {
            let present = inner.compactMap { labels, values in values[step].map { (labels, $0) } }
            if outer == "topk" {
                for (labels, value) in present.sorted(by: { $0.1 == $1.1 ? $0.0 < $1.0 : $0.1 > $1.1 }).prefix(2) { result[labels, default: [:]][step] = value }
                continue
            }
            var groups: [LabelSet: [Double]] = [:]
            for (labels, value) in present {
                let name = outerGrouping!
                groups[labels[name].map { LabelSet([name: $0]) } ?? LabelSet(), default: []].append(value)
            }
            for (labels, values) in groups { result[labels, default: [:]][step] = outer == "sum" ? values.reduce(0, +) : values.max()! }
        }
        return result
    }

    static func quantile(_ phi: Double, _ values: [Double]) -> Double {
        let sorted = values.sorted()
        let rank = phi * Double(sorted.count - 1)
        let lower = Int(rank)
        let upper = min(lower + 1, sorted.count - 1)
        return sorted[lower] + (sorted[upper] - sorted[lower]) * (rank - Double(lower))
    }

    static func same(_ series: [Series], _ expected: [LabelSet: [Int64: Double]]) -> Bool {
        guard series.count == expected.count else { return false }
        for one in series {
            guard let want = expected[one.labels], want.count == one.points.count else { return false }
            for point in one.points {
                guard let value = want[point.timestamp], abs(value - point.value) <= 1e-9 * max(1, abs(value)) else { return false }
            }
        }
        return true
    }

    // MARK: Log queries

    @Test func logQueriesFilterOrderAndLimit() throws {
        let events = Self.events()
        let (engine, directory) = try Self.makeEngine(events)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let start = Self.origin
        let end = Self.origin + 120 * Self.minute
        let query = #"{service="api"} |= "timeout" | status >= 500 | request_id != "req-00007""#
        guard case .log(let selector) = try LogQLParser.parse(query) else { return }
        let wanted = events.filter { $0.service == "api" && $0.message.contains("timeout") && $0.status >= 500 && $0.requestID != "req-00007" }
        for direction in [LogQLEngine.Direction.backward, .forward] {
            let result = try engine.logs(selector, tenant: "t1", start: start, end: end, limit: 7, direction: direction)
            guard case .streams(let streams) = result else {
                Issue.record("not streams")
                continue
            }
            let got = streams.flatMap(\.entries).sorted { direction == .forward ? $0.timestamp < $1.timestamp : $0.timestamp > $1.timestamp }
            let want = direction == .forward ? Array(wanted.prefix(7)) : Array(wanted.suffix(7).reversed())
            #expect(got.map(\.line) == want.map(\.line), "\(direction)")
            // Each stream is in the order asked for, and carries the events' labels.
            for stream in streams {
                let times = stream.entries.map(\.timestamp)
                let ordered: [Int64] = direction == .forward ? times.sorted() : times.sorted().reversed()
                #expect(times == ordered)
                #expect(stream.labels["service"] == "api")
            }
        }
        // An id lookup goes through the store's index, and `line_format` rewrites the line.
        guard case .log(let lookup) = try LogQLParser.parse(#"{service=~".+"} | request_id="req-01234" | line_format "{{.route}} {{.status}} {{.nosuch}}""#) else { return }
        let found = try engine.logs(lookup, tenant: "t1", start: start, end: end, limit: 10, direction: .backward)
        let event = events[1234]
        #expect(found == .streams([LogStream(labels: LabelSet(event.labels), entries: [.init(timestamp: event.time, line: "\(event.route) \(event.status) ")])]))
        // Another tenant sees nothing.
        let other = try engine.logs(lookup, tenant: "t2", start: start, end: end, limit: 10, direction: .backward)
        #expect(other == .streams([]))
    }

    /// Expressions evaluated with one memo share their range aggregations, and answer as they do alone; another
    /// instant or tenant is another aggregation.
    @Test func aMemoSharesRangeAggregationsAndChangesNoAnswer() throws {
        let events = Self.events()
        let (engine, directory) = try Self.makeEngine(events)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let at = Self.origin + 120 * Self.minute
        let texts = [
            #"sum by (service) (count_over_time({level="ERROR"}[1h])) > 3"#,
            #"sum by (service) (count_over_time({level="ERROR"}[1h])) > 10"#,
            #"sum by (service) (count_over_time({level="ERROR"}[1h])) / sum by (service) (count_over_time({service=~".+"}[1h]))"#,
            #"sum by (service) (count_over_time({level="ERROR"}[30m]))"#,
        ]
        let expressions = try texts.map { text -> MetricExpression in
            guard case .metric(let metric) = try LogQLParser.parse(text) else { throw LogQLError("not a metric query", line: 1, column: 1) }
            return metric
        }
        let alone = try expressions.map { try engine.instant($0, tenant: "t1", at: at) }
        var shared = engine
        shared.memo = RangeMemo()
        let together = try expressions.map { try shared.instant($0, tenant: "t1", at: at) }
        #expect(together == alone)
        #expect(shared.memo?.count == 3, "the 1h error count once, the 1h count of all events, the 30m error count")
        #expect(try shared.instant(expressions[0], tenant: "t1", at: at + Self.minute) == engine.instant(expressions[0], tenant: "t1", at: at + Self.minute))
        #expect(try shared.instant(expressions[0], tenant: "t2", at: at) == engine.instant(expressions[0], tenant: "t2", at: at))
        #expect(shared.memo?.count == 5)
    }

    @Test func instantQueriesAndTheGrafanaHealthCheck() throws {
        let events = Self.events()
        let (engine, directory) = try Self.makeEngine(events)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        guard case .metric(let health) = try LogQLParser.parse("vector(1)+vector(1)") else { return }
        #expect(try engine.instant(health, tenant: "t1", at: Self.origin) == .vector([Sample(labels: LabelSet(), timestamp: Self.origin, value: 2)]))
        guard case .metric(let number) = try LogQLParser.parse("2 * 3") else { return }
        #expect(try engine.instant(number, tenant: "t1", at: Self.origin) == .scalar(time: Self.origin, value: 6))
        // The error ratio per service over the last hour, compared with a threshold.
        let at = Self.origin + 120 * Self.minute
        let ratio = #"sum by (service) (count_over_time({level="ERROR"}[1h])) / sum by (service) (count_over_time({service=~".+"}[1h])) > 0.1"#
        guard case .metric(let metric) = try LogQLParser.parse(ratio) else { return }
        guard case .vector(let samples) = try engine.instant(metric, tenant: "t1", at: at) else {
            Issue.record("not a vector")
            return
        }
        var expected: [Sample] = []
        for service in ["api", "billing", "worker"] {
            let window = events.filter { $0.service == service && $0.time > at - 60 * Self.minute && $0.time <= at }
            let value = Double(window.filter { $0.level == "ERROR" }.count) / Double(window.count)
            if value > 0.1 { expected.append(Sample(labels: LabelSet(["service": service]), timestamp: at, value: value)) }
        }
        #expect(samples == expected)
        #expect(!expected.isEmpty)
        // absent_over_time: 1 only where nothing matched.
        guard case .metric(let absent) = try LogQLParser.parse(#"absent_over_time({service="nosuch"}[5m])"#) else { return }
        #expect(try engine.instant(absent, tenant: "t1", at: at) == .vector([Sample(labels: LabelSet(["service": "nosuch"]), timestamp: at, value: 1)]))
    }

    @Test func limitsAreRefusedWithAMessage() throws {
        let (engine, directory) = try Self.makeEngine(Self.events())
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var limited = engine
        limited.limits.maxSeries = 3
        guard case .metric(let metric) = try LogQLParser.parse(#"count_over_time({service=~".+"}[5m])"#) else { return }
        #expect(throws: QueryFailure.self) { try limited.range(metric, tenant: "t1", start: Self.origin, end: Self.origin + Self.minute * 60, step: Self.minute) }
        #expect(throws: QueryFailure.self) { try engine.range(metric, tenant: "t1", start: Self.origin, end: Self.origin + 40 * 86_400 * 1_000_000_000, step: 86_400_000_000_000) }
        #expect(throws: QueryFailure.self) { try engine.range(metric, tenant: "t1", start: Self.origin, end: Self.origin + Self.minute * 60, step: 1_000) }
        guard case .log(let selector) = try LogQLParser.parse(#"{service="api"}"#) else { return }
        #expect(throws: QueryFailure.self) { try engine.logs(selector, tenant: "t1", start: Self.origin, end: Self.origin + 1, limit: 5_001, direction: .forward) }
    }
}

/// SplitMix64: the same events and queries on every run.
struct SeededRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func next(below n: Int) -> Int { Int(next() % UInt64(n)) }
}

/// `by (…)` names any field, not only labels (docs/query.md): grouping by a field that is not a label gives one
/// series per value of it, whatever aggregation is on the outside.
struct NonLabelGroupingTests {
    @Test(arguments: [
        #"sum by (request_id) (count_over_time({service="api"}[5m]))"#,
        #"max by (request_id) (count_over_time({service="api"}[5m]))"#,
        #"sum by (request_id) (sum_over_time({service="api"} | unwrap duration_ms [5m]))"#,
        #"avg by (request_id, level) (rate({service="api"}[5m]))"#,
        #"sum by (request_id) (max_over_time({service="api"} | unwrap duration_ms [5m]) by (route, request_id))"#,
    ])
    func aFieldThatIsNotALabelGroupsLikeALabel(query: String) throws {
        let events = LogQLEngineTests.events()
        let (engine, directory) = try LogQLEngineTests.makeEngine(events)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        guard case .metric(let metric) = try LogQLParser.parse(query) else {
            Issue.record("not a metric query")
            return
        }
        let at = LogQLEngineTests.origin + 60 * LogQLEngineTests.minute
        guard case .vector(let samples) = try engine.instant(metric, tenant: "t1", at: at) else {
            Issue.record("not a vector")
            return
        }
        // The api events of the five minutes up to `at`: one request id each.
        let window = events.filter { $0.service == "api" && $0.time > at - 5 * LogQLEngineTests.minute && $0.time <= at }
        #expect(!window.isEmpty)
        #expect(Set(samples.compactMap { $0.labels["request_id"] }) == Set(window.map(\.requestID)), "\(samples.map(\.labels))")
        #expect(samples.count == window.count)
    }
}
