/// A set of labels, sorted by name: a series' identity, and what Loki's responses print as `stream` or `metric`.
public struct LabelSet: Sendable, Hashable, Comparable, CustomStringConvertible {
    public struct Label: Sendable, Hashable {
        public var name: String
        public var value: String
    }

    public private(set) var labels: [Label]

    public init(_ dictionary: [String: String] = [:]) {
        labels = dictionary.map { Label(name: $0.key, value: $0.value) }.sorted { $0.name < $1.name }
    }

    public subscript(name: String) -> String? { labels.first { $0.name == name }?.value }

    public var isEmpty: Bool { labels.isEmpty }

    public var dictionary: [String: String] { Dictionary(labels.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a }) }

    /// Only the labels named in `names` (`by`), or all but those (`without`).
    public func grouped(by grouping: Grouping?) -> LabelSet {
        guard let grouping else { return LabelSet() }
        var kept = LabelSet()
        kept.labels = labels.filter { grouping.labels.contains($0.name) != grouping.without }
        return kept
    }

    public static func < (a: LabelSet, b: LabelSet) -> Bool {
        a.labels.lexicographicallyPrecedes(b.labels) { x, y in (x.name, x.value) < (y.name, y.value) }
    }

    /// `{level="ERROR", service="api"}`, as Prometheus prints a series.
    public var description: String { "{" + labels.map { "\($0.name)=\(quoted($0.value))" }.joined(separator: ", ") + "}" }
}
