/// A selector made ready to run: its matchers' patterns and its pipeline compiled once per query.
struct CompiledSelector {
    private let matchers: [(LabelMatcher, LabelPattern?)]
    private let pipeline: LogPipeline

    init(_ selector: LogSelector) throws(QueryFailure) {
        do throws(LogQLError) {
            pipeline = try LogPipeline(selector.stages)
            var compiled: [(LabelMatcher, LabelPattern?)] = []
            for matcher in selector.matchers {
                compiled.append((matcher, matcher.op == .matches || matcher.op == .notMatches ? try LabelPattern(matcher.value) : nil))
            }
            matchers = compiled
        } catch {
            throw .invalid(error)
        }
    }

    /// Whether a stored line can pass at all: the pipeline's leading line filters, before the line is read.
    func prefilter(_ line: UnsafeBufferPointer<UInt8>) -> Bool { pipeline.prefilter(line) }

    /// Whether `record` (which passed ``prefilter(_:)``) is one of the selector's streams and passes the rest of
    /// its pipeline (which may change it).
    func keeps(_ record: inout LogRecord) -> Bool {
        // A name that is not a label may be a field (a Loki label kept under `context`, say).
        matchesStream { record.value(of: $0) } && pipeline.process(&record)
    }

    /// Whether the label values `value` gives (by name) pass every matcher.
    func matchesStream(_ value: (String) -> String?) -> Bool {
        for (matcher, pattern) in matchers {
            let value = value(matcher.name) ?? ""
            let passes =
                switch matcher.op {
                case .equal: value == matcher.value
                case .notEqual: value != matcher.value
                case .matches: pattern?.matches(value) ?? false
                case .notMatches: !(pattern?.matches(value) ?? true)
                }
            if !passes { return false }
        }
        return true
    }
}
