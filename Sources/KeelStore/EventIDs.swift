/// An event's id fields (``IDField``), held in four slots rather than a dictionary: every stored event carries one,
/// and a dictionary per event cost an allocation and a hash per id on both sides of an append.
public struct EventIDs: Sendable, Equatable, ExpressibleByDictionaryLiteral, Sequence {
    private var requestID: String?
    private var traceID: String?
    private var runID: String?
    private var userID: String?

    public init() {}

    public init(dictionaryLiteral elements: (IDField, String)...) {
        for (field, value) in elements { self[field] = value }
    }

    public subscript(field: IDField) -> String? {
        get {
            switch field {
            case .requestID: requestID
            case .traceID: traceID
            case .runID: runID
            case .userID: userID
            }
        }
        set {
            switch field {
            case .requestID: requestID = newValue
            case .traceID: traceID = newValue
            case .runID: runID = newValue
            case .userID: userID = newValue
            }
        }
    }

    public var isEmpty: Bool { requestID == nil && traceID == nil && runID == nil && userID == nil }

    /// The fields that have a value, in ``IDField`` order.
    public func makeIterator() -> Iterator { Iterator(ids: self) }

    public struct Iterator: IteratorProtocol {
        let ids: EventIDs
        var position = 0

        public mutating func next() -> (key: IDField, value: String)? {
            while position < IDField.allCases.count {
                let field = IDField.allCases[position]
                position += 1
                if let value = ids[field] { return (field, value) }
            }
            return nil
        }
    }
}
