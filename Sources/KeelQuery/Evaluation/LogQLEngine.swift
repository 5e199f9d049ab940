import Foundation
import Keel
public import KeelStore
import Logging

/// Runs LogQL over a ``LogStore``, one tenant at a time.
///
/// The store answers what it indexes (time range, minimum level, event name, error code, ids); everything else —
/// the rest of the selector, line filters, parsers, label filters — runs here over the events it returns, page by
/// page. A log query returns lines; a metric query is evaluated at each step of its range (or at one instant) by
/// ``MetricEvaluator``.
public struct LogQLEngine: Sendable {
    public let store: any LogStore
    public var limits: QueryLimits
    /// Polled while a query reads: `true` stops it with ``QueryFailure/cancelled`` (a server passes whether the
    /// query's client has gone, so that nobody's abandoned query keeps reading the store).
    public var isCancelled: @Sendable () -> Bool
    /// Range aggregations already evaluated, shared by the queries that use this engine value (``RangeMemo``).
    package var memo: RangeMemo?

    public init(store: any LogStore, limits: QueryLimits = QueryLimits(), isCancelled: @escaping @Sendable () -> Bool = { false }) {
        self.store = store
        self.limits = limits
        self.isCancelled = isCancelled
    }

    public enum Direction: String, Sendable {
        case forward, backward
    }

    /// A log query between `start` and `end` (nanoseconds, `end` exclusive): at most `limit` lines, the newest
    /// first when `backward`.
    public func logs(
        _ selector: LogSelector, tenant: String, start: Int64, end: Int64, limit: Int, direction: Direction
    ) throws(QueryFailure) -> QueryResult {
        try checkRange(start, end)
        guard limit <= limits.maxLines else {
            throw .limit("max entries limit per query exceeded, limit > max_entries_limit (\(limit) > \(limits.maxLines))")
        }
        let limit = max(limit, 0)
        var kept: [LogRecord] = []
        kept.reserveCapacity(min(limit, 1024))
        // The store reads from the end asked for and stops at the limit: a backward query over a day costs its
        // first `limit` lines, not the day.
        let order: ScanOrder = direction == .forward ? .oldestFirst : .newestFirst
        try scan(selector, tenant: tenant, from: start, to: end, deadline: Date().addingTimeInterval(limits.timeout), order: order) { record in
            guard kept.count < limit else { return false }
            kept.append(record)
            return kept.count < limit
        }
        // Lines grouped by their labels, each stream in the order asked for; streams by their first line.
        return .streams(Self.streams(kept))
    }

    /// A metric query at each step from `start` to `end` (both included), as a matrix.
    public func range(
        _ expression: MetricExpression, tenant: String, start: Int64, end: Int64, step: Int64
    ) throws(QueryFailure) -> QueryResult {
        try checkRange(start, end)
        guard step > 0 else { throw .limit("zero or negative query resolution step widths are not accepted. Try a positive integer") }
        let (points, overflow) = ((end - start) / step).addingReportingOverflow(1)
        guard !overflow, points <= Int64(limits.maxPoints) else {
            throw .limit("exceeded maximum resolution of \(limits.maxPoints) points per timeseries. Try increasing the value of the step parameter")
        }
        let steps = Array(stride(from: start, through: end, by: Int(step)))
        let evaluator = MetricEvaluator(engine: self, tenant: tenant, steps: steps, deadline: Date().addingTimeInterval(limits.timeout))
        switch try evaluator.evaluate(expression) {
        case .scalar(let values):
            return .matrix([Series(labels: LabelSet(), points: zip(steps, values).map { .init(timestamp: $0, value: $1) })])
        case .vector(let series):
            return .matrix(
                series.sorted { $0.key < $1.key }.compactMap { labels, values in
                    let points = zip(steps, values).compactMap { time, value in value.map { Series.Point(timestamp: time, value: $0) } }
                    return points.isEmpty ? nil : Series(labels: labels, points: points)
                })
        }
    }

    /// A metric query at one instant, as a vector (or a scalar, for an expression of numbers alone).
    public func instant(_ expression: MetricExpression, tenant: String, at time: Int64) throws(QueryFailure) -> QueryResult {
        let evaluator = MetricEvaluator(engine: self, tenant: tenant, steps: [time], deadline: Date().addingTimeInterval(limits.timeout))
        switch try evaluator.evaluate(expression) {
        case .scalar(let values):
            return .scalar(time: time, value: values[0])
        case .vector(let series):
            var samples = series.compactMap { labels, values in values[0].map { Sample(labels: labels, timestamp: time, value: $0) } }
            samples.sort { $0.labels < $1.labels }
            // `sort` and `sort_desc` order the vector by value.
            if case .vector(let aggregation) = expression, aggregation.operation == .sort || aggregation.operation == .sortDesc {
                samples.sort { aggregation.operation == .sort ? $0.value < $1.value : $0.value > $1.value }
            }
            return .vector(samples)
        }
    }

    private func checkRange(_ start: Int64, _ end: Int64) throws(QueryFailure) {
        guard start <= end else { throw .limit("the start of the range is after its end") }
        let (length, overflow) = end.subtractingReportingOverflow(start)
        guard !overflow, length <= limits.maxRange else {
            throw .limit("the query time range exceeds the limit (query length: \(LogQLDuration.text(overflow ? .max : length)), limit: \(LogQLDuration.text(limits.maxRange)))")
        }
    }

    // MARK: Reading the store

    /// The lines of `selector` that arrived after `arrival` (a live tail's position), in arrival order, at most
    /// `limit` read; and the position to resume after.
    public func tail(
        _ selector: LogSelector, tenant: String, after arrival: Int64, limit: Int = 1000
    ) throws(QueryFailure) -> (streams: [LogStream], last: Int64) {
        let (kept, last, _) = try tailRecords(selector, tenant: tenant, after: arrival, limit: limit)
        return (Self.streams(kept.map(\.record)), last)
    }

    /// The same, line by line with each event's arrival number (what a Server-Sent Events tail hands out as ids);
    /// `full` when `limit` events were read, so that more may follow `last` at once.
    public func tailLines(
        _ selector: LogSelector, tenant: String, after arrival: Int64, limit: Int = 1000
    ) throws(QueryFailure) -> (lines: [(arrival: Int64, line: String)], last: Int64, full: Bool) {
        let (kept, last, full) = try tailRecords(selector, tenant: tenant, after: arrival, limit: limit)
        return (kept.map { ($0.arrival, $0.record.line) }, last, full)
    }

    private func tailRecords(
        _ selector: LogSelector, tenant: String, after arrival: Int64, limit: Int
    ) throws(QueryFailure) -> (kept: [(arrival: Int64, record: LogRecord)], last: Int64, full: Bool) {
        let compiled = try CompiledSelector(selector)
        var query = Self.storeQuery(selector, tenant: tenant, from: nil, to: nil)
        query.arrivedAfter = arrival
        query.limit = max(1, min(limit, 1000))
        let page: EventPage
        do { page = try store.events(query) } catch { throw .store(error) }
        var kept: [(arrival: Int64, record: LogRecord)] = []
        for event in page.events {
            var line = event.line
            guard line.withUTF8({ compiled.prefilter($0) }) else { continue }
            var record = LogRecord(event)
            if compiled.keeps(&record) { kept.append((event.arrival, record)) }
        }
        return (kept, page.events.last?.arrival ?? arrival, page.events.count == query.limit)
    }

    /// Records grouped into streams by their labels, each in the order given; streams by their first record.
    static func streams(_ records: [LogRecord]) -> [LogStream] {
        var index: [LabelSet: Int] = [:]
        // Records whose label members read the same bytes are of one stream: its label set is built once.
        var byKey: [BytesKey: Int] = [:]
        var result: [LogStream] = []
        for record in records {
            let entry = LogStream.Entry(timestamp: record.timestamp, line: record.line)
            let key = record.streamKey.map(BytesKey.init)
            if let key, let at = byKey[key] {
                result[at].entries.append(entry)
                continue
            }
            let labels = LabelSet(record.labels)
            let at: Int
            if let known = index[labels] {
                at = known
                result[at].entries.append(entry)
            } else {
                at = result.count
                index[labels] = at
                result.append(LogStream(labels: labels, entries: [entry]))
            }
            if let key { byKey[key] = at }
        }
        return result
    }

    /// Hands every record of `selector` between `from` and `to` (nanoseconds, `to` exclusive) that passes its
    /// matchers and pipeline to `body`, in `order`, until `body` returns false. Stops with a failure at `deadline`,
    /// or when ``isCancelled`` says so (its client went away) or the task running it is cancelled.
    func scan(
        _ selector: LogSelector, tenant: String, from: Int64, to: Int64, deadline: Date, order: ScanOrder = .oldestFirst,
        _ body: (LogRecord) -> Bool
    ) throws(QueryFailure) {
        let compiled = try CompiledSelector(selector)
        let query = Self.storeQuery(selector, tenant: tenant, from: from, to: to)
        var read = 0
        var stopped: QueryFailure?
        var scratch: [JSONReader.Member] = []
        do {
            try store.scan(query, order: order) { timestamp, line in
                if let stop = poll(&read, deadline: deadline) {
                    stopped = stop
                    return false
                }
                let time = timestamp &* 1000
                guard time >= from, time < to, compiled.prefilter(line) else { return true }
                var record = LogRecord(timestamp: time, line: line, scratch: &scratch)
                guard compiled.keeps(&record) else { return true }
                return body(record)
            }
        } catch {
            throw .store(error)
        }
        if let stopped { throw stopped }
    }

    /// Counts a read event and, every 256, whether the read must stop: its client went away (``isCancelled``), its
    /// task was cancelled, or it ran past `deadline`.
    func poll(_ read: inout Int, deadline: Date) -> QueryFailure? {
        read &+= 1
        guard read & 255 == 0 else { return nil }
        if isCancelled() || Task.isCancelled { return .cancelled }
        if Date() >= deadline { return .timeout("the query ran longer than \(Int(limits.timeout)) s; narrow its range or its selector") }
        return nil
    }

    /// What the store can narrow by itself: the range, and exact matchers on the fields it indexes; ids named by a
    /// label filter, and text a line filter says every line holds, before any stage that could change labels or
    /// the line.
    static func storeQuery(_ selector: LogSelector, tenant: String, from: Int64?, to: Int64?) -> EventQuery {
        var query = EventQuery(tenant: tenant, from: from.map { $0 / 1000 }, to: to.map { $0 / 1000 &+ 1 }, limit: 1000)
        for matcher in selector.matchers where matcher.op == .equal {
            switch matcher.name {
            case "level": query.minimumLevel = Logger.Level.rank(ofName: matcher.value)
            case "event": query.event = matcher.value
            case "error_code" where !matcher.value.isEmpty: query.errorCode = matcher.value
            default: break
            }
        }
        stages: for stage in selector.stages {
            switch stage {
            case .lineFilter(let filter):
                if filter.op == .contains, !filter.value.isEmpty { query.lineContains.append(filter.value) }
            case .labelFilter(let filter):
                for case .comparison(let name, let op, .string(let value)) in conjuncts(filter) where op == .equal || op == .doubleEqual {
                    if let field = IDField(rawValue: name), !value.isEmpty { query.ids[field] = value }
                }
            default: break stages
            }
        }
        return query
    }

    /// The comparisons that must all hold for `filter` to hold.
    private static func conjuncts(_ filter: LabelFilter) -> [LabelFilter] {
        switch filter {
        case .and(let a, let b): conjuncts(a) + conjuncts(b)
        case .comparison: [filter]
        case .or: []
        }
    }
}

/// Where a page of a log query's lines ends, for Keel's own API (`/v1/query`): the last line's time, and how many
/// lines at that very time were already returned. Its text is `<nanoseconds>.<count>`.
public struct LogCursor: Sendable, Equatable, LosslessStringConvertible {
    public var timestamp: Int64
    public var seen: Int

    public init(timestamp: Int64, seen: Int) {
        self.timestamp = timestamp
        self.seen = seen
    }

    public init?(_ description: String) {
        let parts = description.split(separator: ".")
        guard parts.count == 2, let timestamp = Int64(parts[0]), let seen = Int(parts[1]), seen >= 0 else { return nil }
        self.init(timestamp: timestamp, seen: seen)
    }

    public var description: String { "\(timestamp).\(seen)" }
}

extension LogQLEngine {
    /// A page of a log query's lines, oldest first: at most `limit`, resuming after `cursor`; the cursor of the next
    /// page when there is more.
    public func page(
        _ selector: LogSelector, tenant: String, start: Int64, end: Int64, limit: Int, after cursor: LogCursor?
    ) throws(QueryFailure) -> (lines: [(timestamp: Int64, line: String)], next: LogCursor?) {
        guard limit <= limits.maxLines else {
            throw .limit("max entries limit per query exceeded, limit > max_entries_limit (\(limit) > \(limits.maxLines))")
        }
        let from = max(start, cursor?.timestamp ?? start)
        var skip = cursor.map { $0.timestamp >= start ? $0.seen : 0 } ?? 0
        var lines: [(timestamp: Int64, line: String)] = []
        var more = false
        guard from < end else { return ([], nil) }
        try scan(selector, tenant: tenant, from: from, to: end, deadline: Date().addingTimeInterval(limits.timeout)) { record in
            if skip > 0, record.timestamp == cursor?.timestamp {
                skip -= 1
                return true
            }
            guard lines.count < limit else {
                more = true
                return false
            }
            lines.append((record.timestamp, record.line))
            return true
        }
        guard more, let last = lines.last else { return (lines, nil) }
        var seen = lines.reversed().prefix { $0.timestamp == last.timestamp }.count
        if let cursor, cursor.timestamp == last.timestamp { seen += cursor.seen }
        return (lines, LogCursor(timestamp: last.timestamp, seen: seen))
    }
}
