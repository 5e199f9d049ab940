/// A `line_format`/`label_format` template: text with `{{.name}}` (a label or field, empty when missing) and
/// `{{__line__}}` (the line as it stands). Go's other template actions are refused when the query is read.
struct Template: Sendable {
    private enum Part: Sendable {
        case text(String)
        case value(String)
        case line
    }

    private let parts: [Part]

    init(_ text: String) throws(LogQLError) {
        var parts: [Part] = []
        var rest = Substring(text)
        while let open = rest.firstRange(of: "{{") {
            if open.lowerBound > rest.startIndex { parts.append(.text(String(rest[..<open.lowerBound]))) }
            guard let close = rest[open.upperBound...].firstRange(of: "}}") else {
                throw LogQLError("invalid template \(text.debugDescription): unclosed action", line: 1, column: 1)
            }
            let action = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: " ")
            if action == "__line__" {
                parts.append(.line)
            } else if action.hasPrefix("."), action.count > 1, LogRecord.labelName(String(action.dropFirst())) == String(action.dropFirst()) {
                parts.append(.value(String(action.dropFirst())))
            } else {
                throw LogQLError("invalid template \(text.debugDescription): only {{.label}} and {{__line__}} are supported", line: 1, column: 1)
            }
            rest = rest[close.upperBound...]
        }
        if !rest.isEmpty { parts.append(.text(String(rest))) }
        self.parts = parts
    }

    func render(_ record: LogRecord) -> String {
        var out = ""
        for part in parts {
            switch part {
            case .text(let text): out += text
            case .value(let name): out += record.value(of: name) ?? ""
            case .line: out += record.line
            }
        }
        return out
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in character: Character) -> String {
        String(drop { $0 == character }.reversed().drop { $0 == character }.reversed())
    }
}
