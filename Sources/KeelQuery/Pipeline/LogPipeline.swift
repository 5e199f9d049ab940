import Keel

/// A selector's pipeline made ready to run: patterns compiled, templates read. ``process(_:)`` runs one record
/// through every stage, in order, and says whether it survives.
struct LogPipeline: Sendable {
    private enum Stage: Sendable {
        case contains([UInt8], Bool)
        case pattern(LinePattern, Bool)
        case json
        case logfmt
        case filter(CompiledFilter)
        case lineFormat(Template)
        case labelFormat([(String, LabelFormatSource)])
        case drop(Set<String>)
        case keep(Set<String>)
    }

    private enum LabelFormatSource: Sendable {
        case label(String)
        case template(Template)
    }

    private let stages: [Stage]
    /// How many stages at the start are line filters: they run on the stored line before anything is read from it.
    private let leadingLineFilters: Int
    /// Whether a parser stage runs (then results carry what it extracted).
    let parses: Bool

    init(_ stages: [PipelineStage]) throws(LogQLError) {
        var compiled: [Stage] = []
        var parses = false
        for stage in stages {
            switch stage {
            case .lineFilter(let filter):
                switch filter.op {
                case .contains: compiled.append(.contains(Array(filter.value.utf8), true))
                case .notContains: compiled.append(.contains(Array(filter.value.utf8), false))
                case .matches: compiled.append(.pattern(try LinePattern(filter.value), true))
                case .notMatches: compiled.append(.pattern(try LinePattern(filter.value), false))
                }
            case .json:
                parses = true
                compiled.append(.json)
            case .logfmt:
                parses = true
                compiled.append(.logfmt)
            case .labelFilter(let filter): compiled.append(.filter(try CompiledFilter(filter)))
            case .lineFormat(let text): compiled.append(.lineFormat(try Template(text)))
            case .labelFormat(let formats):
                var parts: [(String, LabelFormatSource)] = []
                for format in formats {
                    switch format.source {
                    case .label(let name): parts.append((format.destination, .label(name)))
                    case .template(let text): parts.append((format.destination, .template(try Template(text))))
                    }
                }
                compiled.append(.labelFormat(parts))
            case .drop(let names): compiled.append(.drop(Set(names)))
            case .keep(let names): compiled.append(.keep(Set(names)))
            case .unwrap: break
            }
        }
        self.stages = compiled
        self.parses = parses
        self.leadingLineFilters = compiled.prefix { stage in
            switch stage {
            case .contains, .pattern: true
            default: false
            }
        }.count
    }

    /// Whether the stored line passes the line filters the pipeline starts with (cheap, and before the line is
    /// read).
    func prefilter(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        for stage in stages.prefix(leadingLineFilters) where !Self.passes(stage, line) { return false }
        return true
    }

    /// Runs `record` through the stages after ``prefilter(_:)``'s; `false` when a filter drops it.
    func process(_ record: inout LogRecord) -> Bool {
        for stage in stages.dropFirst(leadingLineFilters) {
            switch stage {
            case .contains, .pattern:
                var line = record.line
                if !line.withUTF8({ Self.passes(stage, $0) }) { return false }
            case .json:
                Self.flatten(record.tree, prefix: "", into: &record)
            case .logfmt:
                let text = record.metadata("message") ?? record.line
                for (key, value) in Logfmt.pairs(text) { Self.extract(LogRecord.labelName(key), value, into: &record) }
            case .filter(let filter):
                if !filter.matches(record) { return false }
            case .lineFormat(let template):
                record.line = template.render(record)
            case .labelFormat(let parts):
                for (destination, source) in parts {
                    switch source {
                    case .label(let name):
                        let value = record.value(of: name) ?? ""
                        record.setLabel(name, nil)
                        record.setLabel(destination, value)
                    case .template(let template):
                        record.setLabel(destination, template.render(record))
                    }
                }
            case .drop(let names):
                for name in names { record.setLabel(name, nil) }
            case .keep(let names):
                record.keepLabels(names)
            }
        }
        return true
    }

    private static func passes(_ stage: Stage, _ line: UnsafeBufferPointer<UInt8>) -> Bool {
        switch stage {
        case .contains(let text, let wanted): ByteSearch.contains(line, text) == wanted
        case .pattern(let pattern, let wanted): pattern.matches(line) == wanted
        default: true
        }
    }

    /// `| json`: scalars by name, nested objects' members as `outer_inner`, arrays skipped (as Loki's parser).
    private static func flatten(_ members: [(key: String, value: JSONValue)], prefix: String, into record: inout LogRecord) {
        for (key, value) in members {
            let name = prefix.isEmpty ? LogRecord.labelName(key) : prefix + "_" + LogRecord.labelName(key)
            if case .object(let inner) = value {
                flatten(inner, prefix: name, into: &record)
            } else if let text = LogRecord.scalarText(value) {
                extract(name, text, into: &record)
            }
        }
    }

    /// A parsed label: a name that is already a stream label with another value is kept as `name_extracted`.
    private static func extract(_ name: String, _ value: String, into record: inout LogRecord) {
        if let existing = record.label(name), existing != value, LogRecord.streamLabelNames.contains(name) {
            record.setLabel(name + "_extracted", value)
        } else {
            record.setLabel(name, value)
        }
    }
}

/// A label filter made ready to run.
struct CompiledFilter: Sendable {
    private indirect enum Node: Sendable {
        case text(String, String, equal: Bool)
        case pattern(String, LabelPattern, equal: Bool)
        case number(String, ComparisonOperator, Double, LabelValue)
        case and(Node, Node)
        case or(Node, Node)
    }

    private let root: Node

    init(_ filter: LabelFilter) throws(LogQLError) { root = try Self.compile(filter) }

    private static func compile(_ filter: LabelFilter) throws(LogQLError) -> Node {
        switch filter {
        case .and(let a, let b): return .and(try compile(a), try compile(b))
        case .or(let a, let b): return .or(try compile(a), try compile(b))
        case .comparison(let name, let op, .string(let text)):
            switch op {
            case .matches: return .pattern(name, try LabelPattern(text), equal: true)
            case .notMatches: return .pattern(name, try LabelPattern(text), equal: false)
            case .notEqual: return .text(name, text, equal: false)
            default: return .text(name, text, equal: true)
            }
        case .comparison(let name, let op, let value):
            let bound: Double =
                switch value {
                case .number(let n): n
                case .duration(let seconds, _): seconds
                case .bytes(let bytes, _): bytes
                case .string: 0
                }
            return .number(name, op, bound, value)
        }
    }

    func matches(_ record: LogRecord) -> Bool { Self.evaluate(root, record) }

    private static func evaluate(_ node: Node, _ record: LogRecord) -> Bool {
        switch node {
        case .and(let a, let b): return evaluate(a, record) && evaluate(b, record)
        case .or(let a, let b): return evaluate(a, record) || evaluate(b, record)
        case .text(let name, let wanted, let equal):
            // A missing label is the empty text, as in Loki: `| error_code=""` keeps events without one.
            return ((record.value(of: name) ?? "") == wanted) == equal
        case .pattern(let name, let pattern, let equal):
            return pattern.matches(record.value(of: name) ?? "") == equal
        case .number(let name, let op, let bound, let kind):
            // A missing label or one that is not a number of the right kind does not pass a numeric filter.
            guard let text = record.value(of: name), let value = numericValue(text, like: kind) else { return false }
            switch op {
            case .greater: return value > bound
            case .greaterOrEqual: return value >= bound
            case .less: return value < bound
            case .lessOrEqual: return value <= bound
            case .notEqual: return value != bound
            default: return value == bound
            }
        }
    }

    /// A label's value as a number of the filter's kind: seconds for a duration (`250ms`, or a plain number of
    /// seconds), bytes for a size (`5KB`, or a plain number of bytes).
    static func numericValue(_ text: String, like kind: LabelValue) -> Double? {
        if let number = Double(text), number.isFinite { return number }
        switch kind {
        case .duration: return LogQLDuration.nanoseconds(text).map { Double($0) / 1e9 }
        case .bytes: return LogQLBytes.value(text)
        default: return nil
        }
    }
}
