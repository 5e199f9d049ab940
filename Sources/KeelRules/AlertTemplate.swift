import Foundation

/// An annotation of an alerting rule, as the part of Go's templates that Prometheus and Loki rule files use:
/// `{{ $labels.service }}` (or `.Labels.service`, `index $labels "service"`), `{{ $value }}` (or `.Value`), the value
/// through `humanize`, `humanizePercentage` or `printf "%.2f"` (as a pipe or a call), and `{{-`/`-}}` to trim spaces.
/// Anything else is refused when the rule is read, so an alert never goes out with a template half rendered.
package struct AlertTemplate: Sendable, Equatable {
    package enum Part: Sendable, Equatable {
        case text(String)
        case label(String)
        case value(ValueFormat)
    }

    package enum ValueFormat: Sendable, Equatable {
        case plain, humanize, humanizePercentage
        /// `printf` with one verb for a number: `%f`, `%e`, `%g` with an optional precision.
        case printf(String)
    }

    package let parts: [Part]

    package init(_ text: String) throws(RuleFile.Invalid) {
        var parts: [Part] = []
        var rest = Substring(text)
        while let open = rest.range(of: "{{") {
            var before = rest[..<open.lowerBound]
            var action = rest[open.upperBound...]
            guard let close = action.range(of: "}}") else {
                throw RuleFile.Invalid(description: "\"{{\" without \"}}\"")
            }
            rest = action[close.upperBound...]
            action = action[..<close.lowerBound]
            if action.hasPrefix("-") {
                action = action.dropFirst()
                before = before[..<(before.lastIndex { !$0.isWhitespace }.map { before.index(after: $0) } ?? before.startIndex)]
            }
            if action.hasSuffix("-") {
                action = action.dropLast()
                rest = rest.drop { $0.isWhitespace }
            }
            if !before.isEmpty { parts.append(.text(String(before))) }
            parts.append(try Self.part(action.trimmingCharacters(in: .whitespaces)))
        }
        if !rest.isEmpty { parts.append(.text(String(rest))) }
        self.parts = parts
    }

    /// The text with the alert's labels and value in place (a label the alert does not have is empty, as in Go).
    package func render(labels: [String: String], value: Double) -> String {
        parts.map { part in
            switch part {
            case .text(let text): text
            case .label(let name): labels[name] ?? ""
            case .value(let format): Self.format(value, format)
            }
        }.joined()
    }

    private static func part(_ action: String) throws(RuleFile.Invalid) -> Part {
        let words = action.split(whereSeparator: \.isWhitespace).map(String.init)
        for prefix in ["$labels.", ".Labels."] where words.count == 1 && words[0].hasPrefix(prefix) {
            let name = String(words[0].dropFirst(prefix.count))
            if !name.isEmpty { return .label(name) }
        }
        if words.count == 3, words[0] == "index", ["$labels", ".Labels"].contains(words[1]),
            words[2].count > 2, words[2].hasPrefix("\""), words[2].hasSuffix("\"")
        {
            return .label(String(words[2].dropFirst().dropLast()))
        }
        let isValue = { (word: String) in word == "$value" || word == ".Value" }
        switch words.count {
        case 1 where isValue(words[0]):
            return .value(.plain)
        case 2 where isValue(words[1]):  // humanize $value
            if let format = try valueFunction(words[0], argument: nil) { return .value(format) }
        case 3 where isValue(words[0]) && words[1] == "|":  // $value | humanize
            if let format = try valueFunction(words[2], argument: nil) { return .value(format) }
        case 3 where isValue(words[2]):  // printf "%.2f" $value
            if let format = try valueFunction(words[0], argument: words[1]) { return .value(format) }
        case 4 where isValue(words[0]) && words[1] == "|":  // $value | printf "%.2f"
            if let format = try valueFunction(words[2], argument: words[3]) { return .value(format) }
        default:
            break
        }
        throw RuleFile.Invalid(
            description: "{{ \(action) }} is not a template Keel renders: it renders $labels.NAME, $value, "
                + "$value | humanize, humanizePercentage and printf \"%.2f\" $value")
    }

    private static func valueFunction(_ name: String, argument: String?) throws(RuleFile.Invalid) -> ValueFormat? {
        switch (name, argument) {
        case ("humanize", nil): return .humanize
        case ("humanizePercentage", nil): return .humanizePercentage
        case ("printf", let format?):
            guard format.count > 2, format.hasPrefix("\""), format.hasSuffix("\"") else { return nil }
            let verb = String(format.dropFirst().dropLast())
            guard verb.wholeMatch(of: /%(\.[0-9]{1,2})?[feg]/) != nil else {
                throw RuleFile.Invalid(description: "printf \(format): Keel formats a value with %f, %e or %g (%.2f)")
            }
            return .printf(verb)
        default: return nil
        }
    }

    private static func format(_ value: Double, _ format: ValueFormat) -> String {
        switch format {
        case .plain: plain(value)
        case .printf(let verb): String(format: verb, value)
        case .humanizePercentage: String(format: "%.4g%%", value * 100)
        case .humanize: humanize(value)
        }
    }

    /// As Go prints a float for `{{ $value }}`, without a trailing `.0` on whole numbers.
    package static func plain(_ value: Double) -> String {
        if value.isFinite, value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return value.isNaN ? "NaN" : value.isInfinite ? (value > 0 ? "+Inf" : "-Inf") : "\(value)"
    }

    /// Prometheus's `humanize`: four significant digits and an SI prefix (`1.235k`, `12.5m`).
    package static func humanize(_ value: Double) -> String {
        guard value.isFinite, value != 0 else { return plain(value) }
        var scaled = value
        if abs(scaled) >= 1 {
            var prefix = ""
            for next in ["k", "M", "G", "T", "P", "E", "Z", "Y"] where abs(scaled) >= 1000 {
                scaled /= 1000
                prefix = next
            }
            return String(format: "%.4g", scaled) + prefix
        }
        var prefix = ""
        for next in ["m", "u", "n", "p", "f", "a", "z", "y"] where abs(scaled) < 1 {
            scaled *= 1000
            prefix = next
        }
        return String(format: "%.4g", scaled) + prefix
    }
}
