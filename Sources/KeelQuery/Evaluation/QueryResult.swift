/// What a query gives, in the four shapes of Loki's (and Prometheus') API.
public enum QueryResult: Sendable, Equatable {
    /// A log query's lines, grouped by the labels they ended with.
    case streams([LogStream])
    /// A metric query over a range: series of points.
    case matrix([Series])
    /// A metric query at an instant: one sample per series.
    case vector([Sample])
    /// A number, at an instant.
    case scalar(time: Int64, value: Double)
}

public struct LogStream: Sendable, Equatable {
    public var labels: LabelSet
    /// Nanoseconds and lines, in the order asked for.
    public var entries: [Entry]

    public struct Entry: Sendable, Equatable {
        public var timestamp: Int64
        public var line: String

        public init(timestamp: Int64, line: String) {
            self.timestamp = timestamp
            self.line = line
        }
    }

    public init(labels: LabelSet, entries: [Entry]) {
        self.labels = labels
        self.entries = entries
    }
}

public struct Series: Sendable, Equatable {
    public var labels: LabelSet
    /// Nanoseconds and values, oldest first.
    public var points: [Point]

    public struct Point: Sendable, Equatable {
        public var timestamp: Int64
        public var value: Double

        public init(timestamp: Int64, value: Double) {
            self.timestamp = timestamp
            self.value = value
        }
    }

    public init(labels: LabelSet, points: [Point]) {
        self.labels = labels
        self.points = points
    }
}

public struct Sample: Sendable, Equatable {
    public var labels: LabelSet
    public var timestamp: Int64
    public var value: Double

    public init(labels: LabelSet, timestamp: Int64, value: Double) {
        self.labels = labels
        self.timestamp = timestamp
        self.value = value
    }
}

/// Why a query did not run to its end.
public enum QueryFailure: Error, Sendable, CustomStringConvertible {
    /// The text is not LogQL, or not LogQL Keel runs.
    case invalid(LogQLError)
    /// It would read or return more than the limits allow (a client error: narrow the query).
    case limit(String)
    /// It ran past its time limit.
    case timeout(String)
    /// Whoever asked went away (its task was cancelled).
    case cancelled
    /// The store failed.
    case store(any Error)

    public var description: String {
        switch self {
        case .invalid(let error): error.description
        case .limit(let message), .timeout(let message): message
        case .cancelled: "the query was cancelled: its client went away"
        case .store(let error): "the store could not be read: \(error)"
        }
    }
}

/// What one query may cost, as Loki limits it: defaults like Loki's.
public struct QueryLimits: Sendable {
    /// The longest time range, in nanoseconds (30 days).
    public var maxRange: Int64 = 30 * 86_400 * 1_000_000_000
    /// The most series a metric query may build.
    public var maxSeries = 500
    /// The most lines a log query returns.
    public var maxLines = 5_000
    /// The most points per series (Prometheus' 11,000).
    public var maxPoints = 11_000
    /// How long a query may run, in seconds.
    public var timeout: Double = 60

    public init() {}
}
