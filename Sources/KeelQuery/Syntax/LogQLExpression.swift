/// A parsed LogQL query: what ``LogQLParser`` makes of the text and the evaluator runs.
///
/// The shapes follow Grafana Loki's grammar (`pkg/logql/syntax`): a log query is a stream selector and a pipeline;
/// a metric query aggregates log queries over time ranges, then across series, and combines the results with
/// arithmetic and comparisons. Every node prints back as LogQL (``description``) that parses to the same node.
public indirect enum LogQLExpression: Sendable, Equatable {
    case log(LogSelector)
    case metric(MetricExpression)
}

/// `{service="api", level=~"ERROR|WARN"} |= "timeout" | json | status >= 500`
public struct LogSelector: Sendable, Equatable {
    public var matchers: [LabelMatcher]
    public var stages: [PipelineStage]

    public init(matchers: [LabelMatcher], stages: [PipelineStage] = []) {
        self.matchers = matchers
        self.stages = stages
    }
}

/// `name op "value"` inside a stream selector.
public struct LabelMatcher: Sendable, Equatable {
    public enum Operator: String, Sendable {
        case equal = "=", notEqual = "!=", matches = "=~", notMatches = "!~"
    }

    public var name: String
    public var op: Operator
    public var value: String

    public init(_ name: String, _ op: Operator, _ value: String) {
        self.name = name
        self.op = op
        self.value = value
    }
}

/// One stage of a log pipeline.
public enum PipelineStage: Sendable, Equatable {
    /// `|= "text"`, `!= "text"`, `|~ "regex"`, `!~ "regex"`: on the whole line, case-sensitive.
    case lineFilter(LineFilter)
    /// `| json`: the line's fields become labels, nested objects flattened with `_`.
    case json
    /// `| logfmt`: `key=value` pairs of the line (or its `message`) become labels.
    case logfmt
    /// `| status >= 500 and route="/v1/chat"`
    case labelFilter(LabelFilter)
    /// `| line_format "{{.route}} {{.status}}"`
    case lineFormat(String)
    /// `| label_format dst=src, other="{{.a}}-{{.b}}"`
    case labelFormat([LabelFormat])
    /// `| drop a, b`
    case drop([String])
    /// `| keep a, b`
    case keep([String])
    /// `| unwrap duration_ms`, `| unwrap duration(latency)`, `| unwrap bytes(size)`: the sample value of a metric
    /// query over an unwrapped range.
    case unwrap(String, UnwrapConversion)
}

public struct LineFilter: Sendable, Equatable {
    public enum Operator: String, Sendable {
        case contains = "|=", notContains = "!=", matches = "|~", notMatches = "!~"
    }

    public var op: Operator
    public var value: String

    public init(_ op: Operator, _ value: String) {
        self.op = op
        self.value = value
    }
}

public enum UnwrapConversion: String, Sendable, Equatable {
    /// The value is a number.
    case none = ""
    /// The value is a duration (`250ms`, `1.5s`) or a number of seconds; the sample is in seconds.
    case duration
    /// The value is a size (`5KB`, `1MiB`) or a number of bytes.
    case bytes
}

/// `dst=src` (rename) or `dst="template"`.
public struct LabelFormat: Sendable, Equatable {
    public var destination: String
    public var source: Source

    public enum Source: Sendable, Equatable {
        case label(String)
        case template(String)
    }

    public init(_ destination: String, _ source: Source) {
        self.destination = destination
        self.source = source
    }
}

/// A predicate on an event's labels.
public indirect enum LabelFilter: Sendable, Equatable {
    case comparison(String, ComparisonOperator, LabelValue)
    case and(LabelFilter, LabelFilter)
    case or(LabelFilter, LabelFilter)
}

public enum ComparisonOperator: String, Sendable, Equatable {
    case equal = "=", doubleEqual = "==", notEqual = "!=", matches = "=~", notMatches = "!~"
    case greater = ">", greaterOrEqual = ">=", less = "<", lessOrEqual = "<="
}

/// The right side of a label comparison: text compares as text, the others as numbers (durations in seconds, sizes
/// in bytes).
public enum LabelValue: Sendable, Equatable {
    case string(String)
    case number(Double)
    /// Seconds, with the text it was written as.
    case duration(Double, String)
    /// Bytes, with the text it was written as.
    case bytes(Double, String)
}

/// A query whose result is numbers: series of samples (a matrix, over a range) or one sample per series (a vector,
/// at an instant), or a single number.
public indirect enum MetricExpression: Sendable, Equatable {
    case range(RangeAggregation)
    case vector(VectorAggregation)
    case binary(BinaryOperation)
    /// A number: `0.05`.
    case literal(Double)
    /// `vector(1)`: one series without labels.
    case vectorLiteral(Double)
}

/// `count_over_time({…}[5m])`, `quantile_over_time(0.95, {…} | unwrap duration_ms [5m]) by (route)`
public struct RangeAggregation: Sendable, Equatable {
    public enum Operation: String, Sendable, CaseIterable {
        case countOverTime = "count_over_time", rate, bytesOverTime = "bytes_over_time", bytesRate = "bytes_rate"
        case absentOverTime = "absent_over_time"
        case sumOverTime = "sum_over_time", avgOverTime = "avg_over_time", minOverTime = "min_over_time"
        case maxOverTime = "max_over_time", firstOverTime = "first_over_time", lastOverTime = "last_over_time"
        case stddevOverTime = "stddev_over_time", stdvarOverTime = "stdvar_over_time"
        case quantileOverTime = "quantile_over_time"

        /// Whether it aggregates unwrapped values (and so needs `| unwrap`); `rate` may take either.
        public var needsUnwrap: Bool {
            switch self {
            case .countOverTime, .rate, .bytesOverTime, .bytesRate, .absentOverTime: false
            default: true
            }
        }
    }

    public var operation: Operation
    public var selector: LogSelector
    /// Nanoseconds.
    public var range: Int64
    public var offset: Int64
    /// `quantile_over_time`'s φ.
    public var parameter: Double?
    public var grouping: Grouping?

    public init(
        _ operation: Operation, _ selector: LogSelector, range: Int64, offset: Int64 = 0, parameter: Double? = nil,
        grouping: Grouping? = nil
    ) {
        self.operation = operation
        self.selector = selector
        self.range = range
        self.offset = offset
        self.parameter = parameter
        self.grouping = grouping
    }

    /// The unwrap stage of the selector, if any.
    public var unwrap: (label: String, conversion: UnwrapConversion)? {
        for case .unwrap(let label, let conversion) in selector.stages { return (label, conversion) }
        return nil
    }
}

/// `by (a, b)` or `without (a, b)`.
public struct Grouping: Sendable, Equatable {
    public var without: Bool
    public var labels: [String]

    public init(without: Bool = false, _ labels: [String]) {
        self.without = without
        self.labels = labels
    }
}

/// `sum by (service) (…)`, `topk(5, …)`
public struct VectorAggregation: Sendable, Equatable {
    public enum Operation: String, Sendable, CaseIterable {
        case sum, avg, min, max, count, stddev, stdvar, topk, bottomk, sort, sortDesc = "sort_desc"

        public var takesParameter: Bool { self == .topk || self == .bottomk }
    }

    public var operation: Operation
    public var grouping: Grouping?
    /// `topk`'s and `bottomk`'s k.
    public var parameter: Int?
    public var inner: MetricExpression

    public init(_ operation: Operation, grouping: Grouping? = nil, parameter: Int? = nil, _ inner: MetricExpression) {
        self.operation = operation
        self.grouping = grouping
        self.parameter = parameter
        self.inner = inner
    }
}

/// `a / b`, `a > 0.05`, `a > bool 0.05`, `a and b`
public struct BinaryOperation: Sendable, Equatable {
    public enum Operator: String, Sendable, CaseIterable {
        case or, and, unless
        case equal = "==", notEqual = "!=", greater = ">", greaterOrEqual = ">=", less = "<", lessOrEqual = "<="
        case add = "+", subtract = "-", multiply = "*", divide = "/", modulo = "%", power = "^"

        /// Binding strength, as Prometheus and Loki order them (`^` binds tightest).
        var precedence: Int {
            switch self {
            case .or: 1
            case .and, .unless: 2
            case .equal, .notEqual, .greater, .greaterOrEqual, .less, .lessOrEqual: 3
            case .add, .subtract: 4
            case .multiply, .divide, .modulo: 5
            case .power: 6
            }
        }

        public var isComparison: Bool { precedence == 3 }
        public var isSetOperation: Bool { precedence <= 2 }
    }

    public var op: Operator
    public var lhs: MetricExpression
    public var rhs: MetricExpression
    /// `bool`: a comparison gives 0 or 1 instead of filtering.
    public var returnsBool: Bool

    public init(_ op: Operator, _ lhs: MetricExpression, _ rhs: MetricExpression, returnsBool: Bool = false) {
        self.op = op
        self.lhs = lhs
        self.rhs = rhs
        self.returnsBool = returnsBool
    }
}
