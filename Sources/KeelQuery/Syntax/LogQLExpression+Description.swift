/// Every node prints as LogQL that parses back to the same node (binary operations in parentheses).
extension LogQLExpression: CustomStringConvertible {
    public var description: String {
        switch self {
        case .log(let selector): selector.description
        case .metric(let metric): metric.description
        }
    }
}

extension LogSelector: CustomStringConvertible {
    public var description: String {
        "{" + matchers.map(\.description).joined(separator: ", ") + "}" + stages.map(\.description).joined()
    }
}

extension LabelMatcher: CustomStringConvertible {
    public var description: String { name + op.rawValue + quoted(value) }
}

extension PipelineStage: CustomStringConvertible {
    public var description: String {
        switch self {
        case .lineFilter(let filter): " \(filter.op.rawValue) \(quoted(filter.value))"
        case .json: " | json"
        case .logfmt: " | logfmt"
        case .labelFilter(let filter): " | \(filter)"
        case .lineFormat(let template): " | line_format \(quoted(template))"
        case .labelFormat(let formats):
            " | label_format "
                + formats.map { format in
                    switch format.source {
                    case .label(let source): "\(format.destination)=\(source)"
                    case .template(let template): "\(format.destination)=\(quoted(template))"
                    }
                }.joined(separator: ", ")
        case .drop(let names): " | drop " + names.joined(separator: ", ")
        case .keep(let names): " | keep " + names.joined(separator: ", ")
        case .unwrap(let label, .none): " | unwrap \(label)"
        case .unwrap(let label, let conversion): " | unwrap \(conversion.rawValue)(\(label))"
        }
    }
}

extension LabelFilter: CustomStringConvertible {
    public var description: String {
        switch self {
        case .comparison(let name, let op, let value): "\(name) \(op.rawValue) \(value)"
        case .and(let a, let b): "(\(a) and \(b))"
        case .or(let a, let b): "(\(a) or \(b))"
        }
    }
}

extension LabelValue: CustomStringConvertible {
    public var description: String {
        switch self {
        case .string(let text): quoted(text)
        case .number(let n): numberText(n)
        case .duration(_, let text), .bytes(_, let text): text
        }
    }
}

extension MetricExpression: CustomStringConvertible {
    public var description: String {
        switch self {
        case .range(let range):
            var text = range.operation.rawValue + "("
            if let phi = range.parameter { text += numberText(phi) + ", " }
            text += "\(range.selector) [\(LogQLDuration.text(range.range))]"
            if range.offset != 0 { text += " offset \(LogQLDuration.text(range.offset))" }
            text += ")"
            if let grouping = range.grouping { text += " \(grouping)" }
            return text
        case .vector(let vector):
            var text = vector.operation.rawValue
            if let grouping = vector.grouping { text += " \(grouping) " }
            text += "("
            if let k = vector.parameter { text += "\(k), " }
            return text + "\(vector.inner))"
        case .binary(let binary):
            return "(\(binary.lhs) \(binary.op.rawValue)\(binary.returnsBool ? " bool" : "") \(binary.rhs))"
        case .literal(let value):
            return numberText(value)
        case .vectorLiteral(let value):
            return "vector(\(numberText(value)))"
        }
    }
}

extension Grouping: CustomStringConvertible {
    public var description: String { (without ? "without" : "by") + " (" + labels.joined(separator: ", ") + ")" }
}

/// A string as LogQL writes it: double quotes, with `"`, `\` and control characters escaped.
func quoted(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case "\r": out += "\\r"
        case _ where scalar.value < 0x20:
            let hex = String(scalar.value, radix: 16)
            out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}

/// A number as LogQL writes it: integers without a fraction.
func numberText(_ value: Double) -> String {
    if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
    return "\(value)"
}
