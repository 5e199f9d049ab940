import Foundation

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

    private func rangeAggregation(_ aggregation: RangeAggregation) throws(QueryFailure) -> [LabelSet: [Double?]] {
        let first = steps[0] &- aggregation.offset &- aggregation.range
        let last = steps[steps.count - 1] &- aggregation.offset
        let unwrap = aggregation.unwrap
        var samples: [LabelSet: [(time: Int64, value: Double)]] = [:]
        var failure: QueryFailure?
        // Windows are (t - range, t]: the scan's lower bound is exclusive, its upper inclusive.
        try engine.scan(aggregation.selector, tenant: tenant, from: first &+ 1, to: last &+ 1, deadline: deadline) { record in
            let value: Double
            if let unwrap {
                guard let text = record.value(of: unwrap.label), let number = Self.unwrapped(text, unwrap.conversion) else { return true }
                value = number
            } else {
                value = aggregation.operation == .bytesOverTime || aggregation.operation == .bytesRate ? Double(record.line.utf8.count) : 1
            }
            let labels = record.seriesLabels(aggregation.grouping)
            if samples[labels] == nil, samples.count >= engine.limits.maxSeries {
                failure = .limit("maximum of series (\(engine.limits.maxSeries)) reached for a single query")
                return false
            }
            samples[labels, default: []].append((record.timestamp, value))
            return true
        }
        if let failure { throw failure }
        if aggregation.operation == .absentOverTime { return absent(aggregation, samples) }
        var result: [LabelSet: [Double?]] = [:]
        for (labels, points) in samples {
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

    /// `absent_over_time`: 1 at the steps whose window has no sample at all, labelled by the selector's equality
    /// matchers.
    private func absent(_ aggregation: RangeAggregation, _ samples: [LabelSet: [(time: Int64, value: Double)]]) -> [LabelSet: [Double?]] {
        let times = samples.values.flatMap { $0.map(\.time) }.sorted()
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
        let inner: [LabelSet: [Double?]]
        switch try evaluate(aggregation.inner) {
        case .vector(let series): inner = series
        case .scalar(let values): inner = [LabelSet(): values.map { $0 }]
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
