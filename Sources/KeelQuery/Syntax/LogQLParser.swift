/// Reads LogQL into a ``LogQLExpression``: a recursive-descent parser over ``LogQLLexer``'s tokens, binary operators by
/// precedence climbing. Errors name the line and column, as Loki's do.
public struct LogQLParser {
    private var tokens: [LogQLToken]
    private var i = 0

    private init(_ tokens: [LogQLToken]) { self.tokens = tokens }

    /// The query in `text`, or the error that says where it goes wrong.
    public static func parse(_ text: String) throws(LogQLError) -> LogQLExpression {
        var parser = LogQLParser(try LogQLLexer.tokens(of: text))
        let expression = try parser.expression()
        guard case .end = parser.current.kind else { throw parser.unexpected() }
        try Self.check(expression)
        return expression
    }

    // MARK: Tokens

    private var current: LogQLToken { tokens[i] }

    private mutating func advance() -> LogQLToken {
        let token = tokens[i]
        if i < tokens.count - 1 { i += 1 }
        return token
    }

    private func isSymbol(_ symbol: String) -> Bool { current.kind == .symbol(symbol) }

    private func isKeyword(_ word: String) -> Bool { current.kind == .identifier(word) }

    private mutating func take(_ symbol: String) -> Bool {
        guard isSymbol(symbol) else { return false }
        _ = advance()
        return true
    }

    private mutating func expect(_ symbol: String) throws(LogQLError) {
        guard take(symbol) else { throw unexpected(expecting: symbol) }
    }

    private func unexpected(expecting: String? = nil) -> LogQLError {
        var message = "syntax error: unexpected \(current.described)"
        if let expecting { message += ", expecting \(expecting)" }
        return LogQLError(message, line: current.line, column: current.column)
    }

    private func failure(_ message: String) -> LogQLError {
        LogQLError(message, line: current.line, column: current.column)
    }

    private mutating func identifier() throws(LogQLError) -> String {
        guard case .identifier(let name) = current.kind else { throw unexpected(expecting: "IDENTIFIER") }
        _ = advance()
        return name
    }

    private mutating func string() throws(LogQLError) -> String {
        guard case .string(let text) = current.kind else { throw unexpected(expecting: "STRING") }
        _ = advance()
        return text
    }

    private mutating func number() throws(LogQLError) -> Double {
        let negative = take("-")
        guard case .number(let value) = current.kind else { throw unexpected(expecting: "NUMBER") }
        _ = advance()
        return negative ? -value : value
    }

    private mutating func duration() throws(LogQLError) -> Int64 {
        guard case .duration(let ns) = current.kind else { throw unexpected(expecting: "DURATION") }
        _ = advance()
        return ns
    }

    // MARK: Expressions

    /// An expression: a log query, or metric expressions joined by binary operators.
    private mutating func expression() throws(LogQLError) -> LogQLExpression {
        if isSymbol("{") { return .log(try logSelector()) }
        return .metric(try binary(minimum: 1))
    }

    private mutating func binary(minimum: Int) throws(LogQLError) -> MetricExpression {
        var lhs = try unary()
        while let op = binaryOperator(), op.precedence >= minimum {
            _ = advance()
            let returnsBool = op.isComparison && isKeyword("bool")
            if returnsBool { _ = advance() }
            // `^` is right-associative; the rest left.
            let rhs = try binary(minimum: op == .power ? op.precedence : op.precedence + 1)
            lhs = .binary(BinaryOperation(op, lhs, rhs, returnsBool: returnsBool))
        }
        return lhs
    }

    private func binaryOperator() -> BinaryOperation.Operator? {
        switch current.kind {
        case .symbol(let s): BinaryOperation.Operator(rawValue: s)
        case .identifier(let word) where ["and", "or", "unless"].contains(word): BinaryOperation.Operator(rawValue: word)
        default: nil
        }
    }

    private mutating func unary() throws(LogQLError) -> MetricExpression {
        switch current.kind {
        case .symbol("("):
            _ = advance()
            let inner = try binary(minimum: 1)
            try expect(")")
            return inner
        case .symbol("-"), .number:
            return .literal(try number())
        case .symbol("{"):
            throw failure("syntax error: a log query cannot be combined with numbers; aggregate it first (count_over_time, rate …)")
        case .identifier(let word):
            if word == "vector" {
                _ = advance()
                try expect("(")
                let value = try number()
                try expect(")")
                return .vectorLiteral(value)
            }
            if let operation = RangeAggregation.Operation(rawValue: word) { return .range(try rangeAggregation(operation)) }
            if let operation = VectorAggregation.Operation(rawValue: word) { return .vector(try vectorAggregation(operation)) }
            throw failure("syntax error: unexpected IDENTIFIER \(word), expecting a function or a number")
        default:
            throw unexpected()
        }
    }

    /// `count_over_time({…} | … [5m] offset 1h) by (…)`
    private mutating func rangeAggregation(_ operation: RangeAggregation.Operation) throws(LogQLError) -> RangeAggregation {
        _ = advance()
        try expect("(")
        var parameter: Double?
        if operation == .quantileOverTime {
            parameter = try number()
            try expect(",")
        }
        // The selector, with its range before or after the pipeline (`{…}[5m] | json` and `{…} | json [5m]`).
        let parenthesised = take("(")
        var selector = LogSelector(matchers: try matchers())
        var range: Int64?
        if take("[") {
            range = try duration()
            try expect("]")
        }
        selector.stages = try pipeline()
        if parenthesised { try expect(")") }
        if range == nil {
            try expect("[")
            range = try duration()
            try expect("]")
        }
        var offset: Int64 = 0
        if isKeyword("offset") {
            _ = advance()
            offset = try duration()
        }
        try expect(")")
        let grouping = try optionalGrouping()
        guard let range, range > 0 else { throw failure("syntax error: a range must be longer than 0") }
        return RangeAggregation(operation, selector, range: range, offset: offset, parameter: parameter, grouping: grouping)
    }

    /// `sum by (a) (…)`, `sum(…) by (a)`, `topk(5, …)`
    private mutating func vectorAggregation(_ operation: VectorAggregation.Operation) throws(LogQLError) -> VectorAggregation {
        _ = advance()
        var grouping = try optionalGrouping()
        try expect("(")
        var parameter: Int?
        if operation.takesParameter {
            let k = try number()
            guard k >= 1, k <= 100_000, k == k.rounded() else { throw failure("syntax error: \(operation.rawValue) needs a whole k from 1") }
            parameter = Int(k)
            try expect(",")
        }
        let inner = try binary(minimum: 1)
        try expect(")")
        if grouping == nil { grouping = try optionalGrouping() }
        return VectorAggregation(operation, grouping: grouping, parameter: parameter, inner)
    }

    private mutating func optionalGrouping() throws(LogQLError) -> Grouping? {
        guard isKeyword("by") || isKeyword("without") else { return nil }
        let without = try identifier() == "without"
        try expect("(")
        var labels: [String] = []
        if !isSymbol(")") {
            repeat { labels.append(try identifier()) } while take(",")
        }
        try expect(")")
        return Grouping(without: without, labels)
    }

    // MARK: Log queries

    private mutating func logSelector() throws(LogQLError) -> LogSelector {
        var selector = LogSelector(matchers: try matchers())
        selector.stages = try pipeline()
        return selector
    }

    /// `{a="b", c=~"d"}`
    private mutating func matchers() throws(LogQLError) -> [LabelMatcher] {
        try expect("{")
        var matchers: [LabelMatcher] = []
        if !isSymbol("}") {
            repeat {
                let name = try identifier()
                guard case .symbol(let symbol) = current.kind, let op = LabelMatcher.Operator(rawValue: symbol) else {
                    throw unexpected(expecting: "=, !=, =~ or !~")
                }
                _ = advance()
                matchers.append(LabelMatcher(name, op, try string()))
            } while take(",")
        }
        try expect("}")
        for matcher in matchers where matcher.op == .matches || matcher.op == .notMatches { _ = try LabelPattern(matcher.value) }
        // As Loki: a selector must narrow the streams with at least one matcher that an empty value does not meet.
        guard matchers.contains(where: { !Self.matchesEmpty($0) }) else {
            throw failure("queries require at least one regexp or equality matcher that does not have an empty-compatible value. For instance, app=~\".*\" does not meet this requirement, but app=~\".+\" will")
        }
        return matchers
    }

    private static func matchesEmpty(_ matcher: LabelMatcher) -> Bool {
        switch matcher.op {
        case .equal: matcher.value.isEmpty
        case .notEqual, .notMatches: true
        case .matches: (try? LabelPattern(matcher.value).matches("")) ?? true
        }
    }

    private mutating func pipeline() throws(LogQLError) -> [PipelineStage] {
        var stages: [PipelineStage] = []
        while true {
            if case .symbol(let s) = current.kind, let op = LineFilter.Operator(rawValue: s) {
                _ = advance()
                stages.append(.lineFilter(LineFilter(op, try string())))
                continue
            }
            guard take("|") else { return stages }
            stages.append(try stage())
        }
    }

    private mutating func stage() throws(LogQLError) -> PipelineStage {
        guard case .identifier(let word) = current.kind else {
            if isSymbol("(") { return .labelFilter(try labelFilter()) }
            throw unexpected(expecting: "a parser, a label filter or a format")
        }
        switch word {
        case "json", "logfmt":
            _ = advance()
            if case .identifier = current.kind, tokens[i + 1].kind == .symbol("=") {
                throw failure("syntax error: \(word) with parameters is not supported; use | \(word) and a label filter")
            }
            return word == "json" ? .json : .logfmt
        case "line_format":
            _ = advance()
            return .lineFormat(try string())
        case "label_format":
            _ = advance()
            var formats: [LabelFormat] = []
            repeat {
                let destination = try identifier()
                try expect("=")
                if case .string(let template) = current.kind {
                    _ = advance()
                    formats.append(LabelFormat(destination, .template(template)))
                } else {
                    formats.append(LabelFormat(destination, .label(try identifier())))
                }
            } while take(",")
            return .labelFormat(formats)
        case "drop", "keep":
            _ = advance()
            var names: [String] = []
            repeat { names.append(try identifier()) } while take(",")
            return word == "drop" ? .drop(names) : .keep(names)
        case "unwrap":
            _ = advance()
            let name = try identifier()
            if let conversion = UnwrapConversion(rawValue: name), conversion != .none, take("(") {
                let label = try identifier()
                try expect(")")
                return .unwrap(label, conversion)
            }
            return .unwrap(name, .none)
        case "regexp", "pattern", "unpack", "decolorize":
            throw failure("syntax error: the \(word) stage is not supported by keel serve")
        default:
            return .labelFilter(try labelFilter())
        }
    }

    /// `a > 1 and (b = "x" or c != "y")`; a comma is an `and`.
    private mutating func labelFilter() throws(LogQLError) -> LabelFilter {
        var filter = try labelFilterTerm()
        while isKeyword("or") {
            _ = advance()
            filter = .or(filter, try labelFilterTerm())
        }
        return filter
    }

    private mutating func labelFilterTerm() throws(LogQLError) -> LabelFilter {
        var filter = try labelFilterAtom()
        while isKeyword("and") || (isSymbol(",") && Self.isIdentifier(tokens[i + 1].kind)) {
            _ = advance()
            filter = .and(filter, try labelFilterAtom())
        }
        return filter
    }

    private static func isIdentifier(_ kind: LogQLToken.Kind) -> Bool {
        if case .identifier = kind { true } else { false }
    }

    private mutating func labelFilterAtom() throws(LogQLError) -> LabelFilter {
        if take("(") {
            let inner = try labelFilter()
            try expect(")")
            return inner
        }
        let name = try identifier()
        guard case .symbol(let symbol) = current.kind, let op = ComparisonOperator(rawValue: symbol) else {
            throw unexpected(expecting: "a comparison")
        }
        _ = advance()
        let token = current
        let value: LabelValue
        switch token.kind {
        case .string(let text): value = .string(text)
        case .number(let n): value = .number(n)
        case .duration(let ns): value = .duration(Double(ns) / 1e9, token.text)
        case .bytes(let b): value = .bytes(b, token.text)
        case .symbol("-"):
            _ = advance()
            guard case .number(let n) = current.kind else { throw unexpected(expecting: "NUMBER") }
            value = .number(-n)
        default: throw unexpected(expecting: "a value")
        }
        _ = advance()
        if case .string = value {
            guard [.equal, .doubleEqual, .notEqual, .matches, .notMatches].contains(op) else {
                throw LogQLError("syntax error: \(name) \(op.rawValue) needs a number, a duration or a size", line: token.line, column: token.column)
            }
        } else if op == .matches || op == .notMatches {
            throw LogQLError("syntax error: \(op.rawValue) needs a string", line: token.line, column: token.column)
        }
        return .comparison(name, op, value)
    }

    // MARK: Meaning

    /// What the grammar allows but LogQL does not mean: a range aggregation over values without `| unwrap`, and
    /// every regular expression and template that does not compile.
    private static func check(_ expression: LogQLExpression) throws(LogQLError) {
        switch expression {
        case .log(let selector): try check(selector)
        case .metric(let metric): try check(metric)
        }
    }

    private static func check(_ metric: MetricExpression) throws(LogQLError) {
        switch metric {
        case .range(let range):
            try check(range.selector)
            if range.operation.needsUnwrap, range.unwrap == nil {
                throw LogQLError("invalid aggregation \(range.operation.rawValue) without unwrap", line: 1, column: 1)
            }
            if !range.operation.needsUnwrap, range.operation != .rate, range.unwrap != nil {
                throw LogQLError("invalid aggregation \(range.operation.rawValue) with unwrap", line: 1, column: 1)
            }
            if let phi = range.parameter, !(0...1).contains(phi) {
                throw LogQLError("quantile_over_time needs a quantile between 0 and 1", line: 1, column: 1)
            }
        case .vector(let vector): try check(vector.inner)
        case .binary(let binary):
            try check(binary.lhs)
            try check(binary.rhs)
        case .literal, .vectorLiteral: break
        }
    }

    private static func check(_ selector: LogSelector) throws(LogQLError) {
        for matcher in selector.matchers where matcher.op == .matches || matcher.op == .notMatches {
            _ = try LabelPattern(matcher.value)
        }
        for stage in selector.stages {
            switch stage {
            case .lineFilter(let filter) where filter.op == .matches || filter.op == .notMatches:
                _ = try LinePattern(filter.value)
            case .labelFilter(let filter): try check(filter)
            case .lineFormat(let template): _ = try Template(template)
            case .labelFormat(let formats):
                for case .template(let template) in formats.map(\.source) { _ = try Template(template) }
            default: break
            }
        }
    }

    private static func check(_ filter: LabelFilter) throws(LogQLError) {
        switch filter {
        case .comparison(_, let op, .string(let pattern)) where op == .matches || op == .notMatches:
            _ = try LabelPattern(pattern)
        case .comparison: break
        case .and(let a, let b), .or(let a, let b):
            try check(a)
            try check(b)
        }
    }
}
