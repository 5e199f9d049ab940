import Keel

/// Query results as Loki's HTTP API writes them, so that Grafana's Loki data source and `logcli` read them unchanged:
/// `{"status":"success","data":{"resultType":"streams|matrix|vector|scalar","result":[…],"stats":{…}}}`.
extension QueryResult {
    public var resultType: String {
        switch self {
        case .streams: "streams"
        case .matrix: "matrix"
        case .vector: "vector"
        case .scalar: "scalar"
        }
    }

    /// The whole response body; `lines` and `seconds` go into `stats.summary`.
    public func lokiJSON(linesProcessed: Int = 0, seconds: Double = 0) -> String {
        var out = #"{"status":"success","data":{"resultType":""# + resultType + #"","result":"#
        switch self {
        case .streams(let streams):
            out += Self.lokiJSON(streams)
        case .matrix(let series):
            out += "["
            for (i, one) in series.enumerated() {
                if i > 0 { out += "," }
                out += #"{"metric":"# + one.labels.lokiJSON + #","values":["#
                out += one.points.map { LokiValue.pair($0.timestamp, $0.value) }.joined(separator: ",")
                out += "]}"
            }
            out += "]"
        case .vector(let samples):
            out += "["
            out += samples.map { #"{"metric":"# + $0.labels.lokiJSON + #","value":"# + LokiValue.pair($0.timestamp, $0.value) + "}" }
                .joined(separator: ",")
            out += "]"
        case .scalar(let time, let value):
            out += LokiValue.pair(time, value)
        }
        out += #","stats":{"summary":{"execTime":"# + LokiValue.number(seconds) + #","totalLinesProcessed":\#(linesProcessed)}}}}"#
        return out
    }
}

extension QueryResult {
    /// `[{"stream":{…},"values":[["<ns>","<line>"],…]},…]`: a query's streams, and the body of a live tail's frame.
    public static func lokiJSON(_ streams: [LogStream]) -> String {
        var out = "["
        for (i, stream) in streams.enumerated() {
            if i > 0 { out += "," }
            out += #"{"stream":"# + stream.labels.lokiJSON + #","values":["#
            for (j, entry) in stream.entries.enumerated() {
                if j > 0 { out += "," }
                out += "[\"\(entry.timestamp)\"," + JSONValue.string(entry.line).jsonText + "]"
            }
            out += "]}"
        }
        return out + "]"
    }
}

extension LabelSet {
    /// `{"level":"ERROR","service":"api"}`
    public var lokiJSON: String {
        JSONValue.object(labels.map { ($0.name, JSONValue.string($0.value)) }).jsonText
    }
}

/// Numbers as Prometheus writes them in its API.
package enum LokiValue {
    /// `[1700000000.5,"12"]`: the time in seconds (a JSON number), the value as text.
    static func pair(_ nanoseconds: Int64, _ value: Double) -> String {
        "[" + seconds(nanoseconds) + ",\"" + number(value) + "\"]"
    }

    /// Seconds since the epoch with as many decimals as the time needs (up to milliseconds, as Loki).
    static func seconds(_ nanoseconds: Int64) -> String {
        let whole = nanoseconds / 1_000_000_000
        let millis = (nanoseconds % 1_000_000_000) / 1_000_000
        guard millis != 0 else { return String(whole) }
        var fraction = String(abs(millis))
        fraction = String(repeating: "0", count: 3 - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return "\(whole).\(fraction)"
    }

    /// `12`, `0.25`, `NaN`, `+Inf`: Go's shortest form.
    package static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}
