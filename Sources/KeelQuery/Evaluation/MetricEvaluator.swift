import Foundation
import KeelStore
import Synchronization

/// Evaluates a metric expression at every step of a query at once: each series is an array of values, one per step
/// (`nil` where it has none), so a range query reads the store once per range aggregation, not once per step.
struct MetricEvaluator {
    enum Value {
        /// A number at each step (a literal, or arithmetic on literals).
        case scalar([Double])
        /// Series by their labels.
        case vector([LabelSet: [Double?]])
    }

    let engine: LogQLEngine
    let tenant: String
    /// Nanoseconds, ascending.
    let steps: [Int64]
    let deadline: Date

    func evaluate(_ expression: MetricExpression) throws(QueryFailure) -> Value {
        switch expression {
        case .literal(let value): return .scalar(Array(repeating: value, count: steps.count))
        case .vectorLiteral(let value): return .vector([LabelSet(): Array(repeating: value, count: steps.count)])
        case .range(let range): return .vector(try rangeAggregation(range))
        case .vector(let aggregation): return .vector(try vectorAggregation(aggregation))
        case .binary(let operation): return try binary(operation)
        }
    }

    // MARK: Over time

    /// A series' samples as read: (nanoseconds, value).
    typealias Samples = [(time: Int64, value: Double)]

    /// Each of `aggregation`'s series, by its labels — or, with `labelsBy`, the lines counted straight into the
    /// groups of those labels (``summedByGroup(_:)``). `carrying`: fields that are not labels, kept in each series'
    /// labels beside the stream's, for an aggregation around it that groups by them (``carried(_:)``).
    private func rangeAggregation(
        _ aggregation: RangeAggregation, labelsBy: [String]? = nil, carrying: [String] = []
    ) throws(QueryFailure) -> [LabelSet: [Double?]] {
        guard let memo = engine.memo else { return try evaluateRange(aggregation, labelsBy: labelsBy, carrying: carrying) }
        let key = "\(tenant)\u{0}\(MetricExpression.range(aggregation))\u{0}\(labelsBy ?? ["\u{0}"])\u{0}\(carrying)\u{0}\(steps)"
        if let known = memo.value(key) { return known }
        let value = try evaluateRange(aggregation, labelsBy: labelsBy, carrying: carrying)
        memo.remember(value, for: key)
        return value
    }

    private func evaluateRange(_ aggregation: RangeAggregation, labelsBy: [String]?, carrying: [String]) throws(QueryFailure) -> [LabelSet: [Double?]] {
        // Windows are (t - range, t]: the scan's lower bound is exclusive, its upper inclusive.
        let from = steps[0] &- aggregation.offset &- aggregation.range &+ 1
        let to = steps[steps.count - 1] &- aggregation.offset &+ 1
        // Only the first and the last value of a window depend on the order of lines at one time.
        let ordered = aggregation.operation == .firstOverTime || aggregation.operation == .lastOverTime
        let slices = ordered ? [(from, to)] : Self.slices(from, to)
        var series: [(labels: LabelSet, points: Samples)]
        if slices.count == 1 {
            series = try samples(aggregation, labelsBy: labelsBy, carrying: carrying, from: from, to: to, ordered: ordered)
        } else {
            // Slices of the range read at once, one per core, and their series joined in time order.
            let read = Mutex<[Int: Result<[(labels: LabelSet, points: Samples)], QueryFailure>]>([:])
            DispatchQueue.concurrentPerform(iterations: slices.count) { index in
                let result: Result<[(labels: LabelSet, points: Samples)], QueryFailure>
                do throws(QueryFailure) {
                    result = .success(try samples(
                        aggregation, labelsBy: labelsBy, carrying: carrying, from: slices[index].0, to: slices[index].1, ordered: false))
                } catch {
                    result = .failure(error)
                }
                read.withLock { $0[index] = result }
            }
            let parts = read.withLock { $0 }
            series = []
            var index: [LabelSet: Int] = [:]
            for slice in slices.indices {
                for (labels, points) in try parts[slice]!.get() {
                    if let at = index[labels] {
                        series[at].points += points
                    } else {
                        guard series.count < engine.limits.maxSeries else { throw Self.tooManySeries(engine.limits) }
                        index[labels] = series.count
                        series.append((labels, points))
                    }
                }
            }
        }
        if aggregation.operation == .absentOverTime { return absent(aggregation, series.flatMap { $0.points.map(\.time) }) }
        var result: [LabelSet: [Double?]] = [:]
        for (labels, var points) in series {
            // Read in any order: each series' samples by time (a store that reads in time order leaves them so).
            if zip(points, points.dropFirst()).contains(where: { $0.time > $1.time }) { points.sort { $0.time < $1.time } }
            var values = [Double?](repeating: nil, count: steps.count)
            var low = 0
            var high = 0
            for (index, step) in steps.enumerated() {
                let end = step &- aggregation.offset
                let start = end &- aggregation.range
                while high < points.count, points[high].time <= end { high += 1 }
                while low < high, points[low].time <= start { low += 1 }
                guard low < high else { continue }
                values[index] = Self.aggregate(aggregation, points[low..<high].lazy.map(\.value), seconds: Double(aggregation.range) / 1e9)
            }
            if values.contains(where: { $0 != nil }) { result[labels] = values }
        }
        return result
    }

    /// The samples of `aggregation`'s lines between `from` and `to` (nanoseconds, `to` exclusive), by series.
    private func samples(
        _ aggregation: RangeAggregation, labelsBy: [String]?, carrying: [String], from: Int64, to: Int64, ordered: Bool
    ) throws(QueryFailure) -> [(labels: LabelSet, points: Samples)] {
        let unwrap = aggregation.unwrap
        var series: [(labels: LabelSet, points: Samples)] = []
        var byLabels: [LabelSet: Int] = [:]
        // With `labelsBy`, a line's group is found by the values of those labels, and the group of the line before
        // is tried first (lines come in runs of the same labels): no label set is built for a line of a known group.
        var byValues: [[String?]: Int] = [:]
        var previous: (values: [String?], at: Int)?
        var byStream: [[UInt8]: Int] = [:]
        var previousStream: (key: [UInt8], at: Int)?
        var failure: QueryFailure?
        func newSeries(_ labels: LabelSet) -> Int? {
            guard series.count < engine.limits.maxSeries else {
                failure = Self.tooManySeries(engine.limits)
                return nil
            }
            series.append((labels, []))
            return series.count - 1
        }
        /// Adds a sample to the series of its group (by the values of `labelsBy`), made with `labels` when new.
        func add(_ time: Int64, _ value: Double, group values: [String?], labels: () -> LabelSet) -> Bool {
            let at: Int
            if let previous, previous.values == values {
                at = previous.at
            } else if let found = byValues[values] {
                at = found
            } else {
                guard let added = newSeries(labels()) else { return false }
                byValues[values] = added
                at = added
            }
            previous = (values, at)
            series[at].points.append((time, value))
            return true
        }
        // Counting lines by labels needs no line: the store hands over only the labels, where it can.
        if let labelsBy, unwrap == nil, aggregation.operation == .countOverTime || aggregation.operation == .rate {
            let read = try engine.scanLabels(aggregation.selector, names: labelsBy, tenant: tenant, from: from, to: to, deadline: deadline) { time, values in
                add(time, 1, group: values) {
                    var picked: [String: String] = [:]
                    for (name, value) in zip(labelsBy, values) { if let value { picked[name] = value } }
                    return LabelSet(picked)
                }
            }
            if read {
                if let failure { throw failure }
                return series
            }
        }
        try engine.scan(aggregation.selector, tenant: tenant, from: from, to: to, deadline: deadline, order: ordered ? .oldestFirst : .any) { record in
            let value: Double
            if let unwrap {
                guard let text = record.value(of: unwrap.label), let number = Self.unwrapped(text, unwrap.conversion) else { return true }
                value = number
            } else {
                value = aggregation.operation == .bytesOverTime || aggregation.operation == .bytesRate ? Double(record.line.utf8.count) : 1
            }
            if let labelsBy {
                return add(record.timestamp, value, group: labelsBy.map { record.value(of: $0) }) { record.labels(named: labelsBy) }
            }
            if let grouping = aggregation.grouping, !grouping.without {
                // `… by (a, b)`: the group by the values, as with `labelsBy`.
                return add(record.timestamp, value, group: grouping.labels.map { record.value(of: $0) }) { record.seriesLabels(grouping) }
            }
            if !carrying.isEmpty, aggregation.grouping == nil {
                // The stream's series, split by the carried fields' values.
                let carried = carrying.map { record.value(of: $0) }
                let stream = record.streamKey.map { String(decoding: $0, as: UTF8.self) } ?? "\(record.seriesLabels(nil))"
                return add(record.timestamp, value, group: [stream] + carried) {
                    var labels = record.labels
                    for (name, value) in zip(carrying, carried) { if let value { labels[name] = value } }
                    return LabelSet(labels)
                }
            }
            // Without a grouping, a line's series is its stream: found by the stream's bytes, the stream of the line
            // before tried first, so that a label set is built once a stream (not once a line).
            let stream = aggregation.grouping == nil ? record.streamKey : nil
            let at: Int
            if let stream, let previousStream, previousStream.key == stream {
                at = previousStream.at
            } else if let stream, let found = byStream[stream] {
                at = found
            } else {
                let labels = record.seriesLabels(aggregation.grouping)
                if let found = byLabels[labels] {
                    at = found
                } else {
                    guard let added = newSeries(labels) else { return false }
                    byLabels[labels] = added
                    at = added
                }
                if let stream { byStream[stream] = at }
            }
            if let stream { previousStream = (stream, at) }
            series[at].points.append((record.timestamp, value))
            return true
        }
        if let failure { throw failure }
        return series
    }

    /// `[from, to)` cut into one slice per core (at most 8, so that a big machine does not queue a query's reads on
    /// the store's few reader connections) for a range of an hour or more; smaller ones are read whole.
    static func slices(_ from: Int64, _ to: Int64) -> [(Int64, Int64)] {
        let (length, overflow) = to.subtractingReportingOverflow(from)
        let cores = min(ProcessInfo.processInfo.activeProcessorCount, 8)
        guard !overflow, length >= 3_600_000_000_000, cores > 1 else { return [(from, to)] }
        let size = length / Int64(cores)
        return (0..<cores).map { n in (from + Int64(n) * size, n == cores - 1 ? to : from + Int64(n + 1) * size) }
    }

    static func tooManySeries(_ limits: QueryLimits) -> QueryFailure {
        .limit("maximum of series (\(limits.maxSeries)) reached for a single query")
    }

    /// `absent_over_time`: 1 at the steps whose window has no sample at all, labelled by the selector's equality
    /// matchers.
    private func absent(_ aggregation: RangeAggregation, _ times: [Int64]) -> [LabelSet: [Double?]] {
        let times = times.sorted()
        var values = [Double?](repeating: nil, count: steps.count)
        for (index, step) in steps.enumerated() {
            let end = step &- aggregation.offset
            let start = end &- aggregation.range
            // The first sample after the window's start, if it is inside the window, means "present".
            var low = 0
            var high = times.count
            while low < high {
                let mid = (low + high) / 2
                if times[mid] <= start { low = mid + 1 } else { high = mid }
            }
            if low == times.count || times[low] > end { values[index] = 1 }
        }
        var labels: [String: String] = [:]
        for matcher in aggregation.selector.matchers where matcher.op == .equal { labels[matcher.name] = matcher.value }
        return values.contains(where: { $0 != nil }) ? [LabelSet(labels): values] : [:]
    }

    static func aggregate(_ aggregation: RangeAggregation, _ values: some Collection<Double>, seconds: Double) -> Double {
        let count = Double(values.count)
        switch aggregation.operation {
        case .countOverTime: return count
        case .rate: return (aggregation.unwrap == nil ? count : values.reduce(0, +)) / seconds
        case .bytesOverTime, .sumOverTime: return values.reduce(0, +)
        case .bytesRate: return values.reduce(0, +) / seconds
        case .avgOverTime: return values.reduce(0, +) / count
        case .minOverTime: return values.min() ?? .nan
        case .maxOverTime: return values.max() ?? .nan
        case .firstOverTime: return values.first ?? .nan
        case .lastOverTime: return values.reversed().first ?? .nan
        case .stdvarOverTime: return variance(values)
        case .stddevOverTime: return variance(values).squareRoot()
        case .quantileOverTime: return quantile(aggregation.parameter ?? 0.5, values)
        case .absentOverTime: return 1
        }
    }

    /// The population variance, as Prometheus' `stdvar_over_time`.
    static func variance(_ values: some Collection<Double>) -> Double {
        let mean = values.reduce(0, +) / Double(values.count)
        return values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
    }

    /// The φ-quantile, exactly, as Prometheus computes it: sorted values, linear interpolation between the two
    /// nearest ranks (`φ·(n−1)`).
    static func quantile(_ phi: Double, _ values: some Collection<Double>) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .nan }
        let rank = phi * Double(sorted.count - 1)
        let lower = Int(rank.rounded(.down))
        let upper = min(lower + 1, sorted.count - 1)
        let weight = rank - Double(lower)
        return sorted[lower] * (1 - weight) + sorted[upper] * weight
    }

    /// An unwrapped label's value as a number: seconds for `duration(…)`, bytes for `bytes(…)`.
    static func unwrapped(_ text: String, _ conversion: UnwrapConversion) -> Double? {
        switch conversion {
        case .none: Double(text).flatMap { $0.isFinite ? $0 : nil }
        case .duration: CompiledFilter.numericValue(text, like: .duration(0, ""))
        case .bytes: CompiledFilter.numericValue(text, like: .bytes(0, ""))
        }
    }

    // MARK: Across series

    private func vectorAggregation(_ aggregation: VectorAggregation) throws(QueryFailure) -> [LabelSet: [Double?]] {
        if let (range, labels) = Self.summedByGroup(aggregation) { return try rangeAggregation(range, labelsBy: labels) }
        let inner: [LabelSet: [Double?]]
        if let (range, carrying) = Self.carried(aggregation) {
            inner = try rangeAggregation(range, carrying: carrying)
        } else {
            switch try evaluate(aggregation.inner) {
            case .vector(let series): inner = series
            case .scalar(let values): inner = [LabelSet(): values.map { $0 }]
            }
        }
        switch aggregation.operation {
        case .sort, .sortDesc:
            return inner
        case .topk, .bottomk:
            return ranked(inner, aggregation)
        default:
            break
        }
        var groups: [LabelSet: [LabelSet]] = [:]
        for labels in inner.keys { groups[labels.grouped(by: aggregation.grouping), default: []].append(labels) }
        var result: [LabelSet: [Double?]] = [:]
        for (group, members) in groups {
            var values = [Double?](repeating: nil, count: steps.count)
            for index in steps.indices {
                let present = members.compactMap { inner[$0]![index] }
                guard !present.isEmpty else { continue }
                values[index] =
                    switch aggregation.operation {
                    case .sum: present.reduce(0, +)
                    case .avg: present.reduce(0, +) / Double(present.count)
                    case .min: present.min()!
                    case .max: present.max()!
                    case .count: Double(present.count)
                    case .stdvar: Self.variance(present)
                    case .stddev: Self.variance(present).squareRoot()
                    case .topk, .bottomk, .sort, .sortDesc: nil
                    }
            }
            result[group] = values
        }
        return result
    }

    /// `sum by (…)` (or `sum`) of a range aggregation that counts lines or bytes, with no grouping of its own: the
    /// range aggregation and the labels to group its lines by at once. Summing each group's series is counting the
    /// group's lines, so the series of every stream need not be built (over a day of lines that all have their own
    /// labels, building them is most of the work).
    static func summedByGroup(_ aggregation: VectorAggregation) -> (RangeAggregation, [String])? {
        guard aggregation.operation == .sum, aggregation.grouping?.without != true, case .range(let range) = aggregation.inner,
            range.grouping == nil, range.unwrap == nil
        else { return nil }
        switch range.operation {
        case .countOverTime, .rate, .bytesOverTime, .bytesRate: return (range, aggregation.grouping?.labels ?? [])
        default: return nil
        }
    }

    /// An aggregation `by (…)` fields that are not labels, of a range aggregation without a grouping of its own: the
    /// range aggregation, and those fields for its series to keep beside the stream's labels — so that `max by
    /// (request_id) (…)` groups by request id as `by (route)` groups by route (every field is groupable,
    /// docs/query.md). `nil` when every name is a label, or for any other shape.
    static func carried(_ aggregation: VectorAggregation) -> (RangeAggregation, [String])? {
        guard let grouping = aggregation.grouping, !grouping.without, case .range(let range) = aggregation.inner, range.grouping == nil
        else { return nil }
        let carrying = grouping.labels.filter { !LogRecord.streamLabelNames.contains($0) }
        return carrying.isEmpty ? nil : (range, carrying)
    }

    /// `topk`/`bottomk`: at each step, the k largest (smallest) series of each group, keeping their own labels.
    private func ranked(_ inner: [LabelSet: [Double?]], _ aggregation: VectorAggregation) -> [LabelSet: [Double?]] {
        let k = aggregation.parameter ?? 1
        var groups: [LabelSet: [LabelSet]] = [:]
        for labels in inner.keys { groups[labels.grouped(by: aggregation.grouping), default: []].append(labels) }
        var result: [LabelSet: [Double?]] = [:]
        for members in groups.values {
            for index in steps.indices {
                let present = members.compactMap { labels in inner[labels]![index].map { (labels, $0) } }
                let ordered = present.sorted { a, b in
                    a.1 == b.1 ? a.0 < b.0 : (aggregation.operation == .topk ? a.1 > b.1 : a.1 < b.1)
                }
                for (labels, value) in ordered.prefix(k) {
                    result[labels, default: [Double?](repeating: nil, count: steps.count)][index] = value
                }
            }
        }
        return result
    }

    // MARK: Binary operations

    private func binary(_ operation: BinaryOperation) throws(QueryFailure) -> Value {
        let lhs = try evaluate(operation.lhs)
        let rhs = try evaluate(operation.rhs)
        switch (lhs, rhs) {
        case (.scalar(let a), .scalar(let b)):
            // Between numbers a comparison gives 1 or 0, as with `bool`.
            return .scalar(zip(a, b).map { x, y in Self.apply(operation.op, x, y) ?? .nan })
        case (.vector(let series), .scalar(let values)):
            return .vector(series.mapValues { own in zip(own, values).map { x, y in x.flatMap { Self.combine(operation, $0, y, keep: $0) } } }.filter { $0.value.contains { $0 != nil } })
        case (.scalar(let values), .vector(let series)):
            return .vector(series.mapValues { own in zip(values, own).map { x, y in y.flatMap { Self.combine(operation, x, $0, keep: $0) } } }.filter { $0.value.contains { $0 != nil } })
        case (.vector(let left), .vector(let right)):
            return .vector(sets(operation, left, right))
        }
    }

    /// Two vectors: set operations by label set; the others between series with the same labels.
    private func sets(_ operation: BinaryOperation, _ left: [LabelSet: [Double?]], _ right: [LabelSet: [Double?]]) -> [LabelSet: [Double?]] {
        var result: [LabelSet: [Double?]] = [:]
        switch operation.op {
        case .and:
            for (labels, values) in left {
                guard let other = right[labels] else { continue }
                result[labels] = zip(values, other).map { $1 == nil ? nil : $0 }
            }
        case .unless:
            for (labels, values) in left {
                let other = right[labels]
                result[labels] = values.indices.map { other?[$0] == nil ? values[$0] : nil }
            }
        case .or:
            result = left
            for (labels, values) in right where left[labels] == nil { result[labels] = values }
        default:
            for (labels, values) in left {
                guard let other = right[labels] else { continue }
                result[labels] = zip(values, other).map { x, y in
                    guard let x, let y else { return nil }
                    return Self.combine(operation, x, y, keep: x)
                }
            }
        }
        return result.filter { $0.value.contains { $0 != nil } }
    }

    /// One pair of values: arithmetic gives its result; a comparison keeps `keep` when true (or gives 1/0 with
    /// `bool`), and nothing when false.
    private static func combine(_ operation: BinaryOperation, _ x: Double, _ y: Double, keep: Double) -> Double? {
        guard let result = apply(operation.op, x, y) else { return nil }
        guard operation.op.isComparison else { return result }
        if operation.returnsBool { return result }
        return result == 1 ? keep : nil
    }

    /// Arithmetic, or 1/0 for a comparison.
    private static func apply(_ op: BinaryOperation.Operator, _ x: Double, _ y: Double) -> Double? {
        switch op {
        case .add: x + y
        case .subtract: x - y
        case .multiply: x * y
        case .divide: x / y
        case .modulo: x.truncatingRemainder(dividingBy: y)
        case .power: Foundation.pow(x, y)
        case .equal: x == y ? 1 : 0
        case .notEqual: x != y ? 1 : 0
        case .greater: x > y ? 1 : 0
        case .greaterOrEqual: x >= y ? 1 : 0
        case .less: x < y ? 1 : 0
        case .lessOrEqual: x <= y ? 1 : 0
        case .and, .or, .unless: nil
        }
    }
}
