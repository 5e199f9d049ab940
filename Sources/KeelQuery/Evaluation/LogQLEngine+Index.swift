import Foundation
import KeelStore

/// What Grafana asks besides queries: label names and values (for the query builder), series, and the size of what
/// a selector matches (for the log-volume histogram). Read from the events in the range, as there is no label index
/// yet.
extension LogQLEngine {
    /// The label names of the tenant's events between `start` and `end`, sorted; only in the events of `selector`
    /// when given (Grafana's label browser narrows with one). Besides the stream labels, the names of `context`'s
    /// members: a Loki stream's own labels (`job`, `filename`) are kept there, and a selector finds them by name.
    public func labelNames(selector: LogSelector? = nil, tenant: String, start: Int64, end: Int64) throws(QueryFailure) -> [String] {
        var names: Set<String> = []
        try checkedScan(selector, tenant: tenant, start: start, end: end) { record in
            names.formUnion(record.labels.keys)
            names.formUnion(record.contextNames)
            return true
        }
        return names.sorted()
    }

    /// The values of label `name` (a stream label, or a member of `context`) between `start` and `end`, sorted; only
    /// in the events of `selector` when given.
    public func labelValues(_ name: String, selector: LogSelector?, tenant: String, start: Int64, end: Int64) throws(QueryFailure) -> [String] {
        var values: Set<String> = []
        let isStreamLabel = LogRecord.streamLabelNames.contains(name)
        try checkedScan(selector, tenant: tenant, start: start, end: end) { record in
            if let value = record.label(name) ?? (isStreamLabel ? nil : record.contextValue(name)) { values.insert(value) }
            return true
        }
        return values.sorted()
    }

    /// The label sets of the streams that `selectors` match (any of them) between `start` and `end`.
    public func series(_ selectors: [LogSelector], tenant: String, start: Int64, end: Int64) throws(QueryFailure) -> [LabelSet] {
        var found: Set<LabelSet> = []
        for selector in selectors {
            try checkedScan(selector, tenant: tenant, start: start, end: end) { record in
                found.insert(LabelSet(record.labels))
                return found.count <= limits.maxSeries
            }
        }
        guard found.count <= limits.maxSeries else { throw .limit("maximum of series (\(limits.maxSeries)) reached for a single query") }
        return found.sorted()
    }

    /// How much `selector` matches between `start` and `end`: streams, entries and bytes (Loki's `index/stats`;
    /// every event is one "chunk" here).
    public func stats(_ selector: LogSelector, tenant: String, start: Int64, end: Int64) throws(QueryFailure) -> (streams: Int, entries: Int, bytes: Int) {
        var streams: Set<LabelSet> = []
        var entries = 0
        var bytes = 0
        try checkedScan(selector, tenant: tenant, start: start, end: end) { record in
            streams.insert(LabelSet(record.labels))
            entries += 1
            bytes += record.line.utf8.count
            return true
        }
        return (streams.count, entries, bytes)
    }

    /// Loki's `index/volume` (`step == nil`: one sample at `end` for the whole range) and `index/volume_range`: the
    /// bytes `selector` matches, by the labels it names (or `targetLabels`).
    public func volume(
        _ selector: LogSelector, targetLabels: [String]?, tenant: String, start: Int64, end: Int64, step: Int64?
    ) throws(QueryFailure) -> QueryResult {
        let labels = targetLabels ?? selector.matchers.map(\.name)
        let range = step ?? max(end &- start, 1)
        let metric = MetricExpression.vector(
            VectorAggregation(.sum, grouping: Grouping(labels), .range(RangeAggregation(.bytesOverTime, LogSelector(matchers: selector.matchers), range: range))))
        if let step { return try self.range(metric, tenant: tenant, start: start, end: end, step: step) }
        return try instant(metric, tenant: tenant, at: end)
    }

    private func checkedScan(_ selector: LogSelector?, tenant: String, start: Int64, end: Int64, _ body: (LogRecord) -> Bool) throws(QueryFailure) {
        guard start <= end else { throw .limit("the start of the range is after its end") }
        // Sets and sums: the order of the lines does not matter, so the store reads in its fastest.
        try scan(
            selector ?? LogSelector(matchers: []), tenant: tenant, from: start, to: end, deadline: Date().addingTimeInterval(limits.timeout),
            order: .any, body)
    }
}
