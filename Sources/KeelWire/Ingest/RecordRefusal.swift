/// Where a record is in its request: an NDJSON body's line, or the n-th entry of a Loki or OTLP body (counted across
/// streams and resources from 1). Refusals say it, so a client can find what it sent.
public struct RecordPlace: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var number: Int
    public var isLine: Bool

    public init(number: Int, isLine: Bool = false) {
        self.number = number
        self.isLine = isLine
    }

    public static func line(_ number: Int) -> RecordPlace { RecordPlace(number: number, isLine: true) }
    public static func record(_ number: Int) -> RecordPlace { RecordPlace(number: number) }

    public var description: String { isLine ? "line \(number)" : "record \(number)" }

    public static func < (a: RecordPlace, b: RecordPlace) -> Bool { a.number < b.number }
}

/// One record of a request that was not stored, and why. The rest of the request is stored and acknowledged: one
/// bad line (or one skewed clock) never costs a client its whole batch.
public struct RecordRefusal: Sendable, Equatable, CustomStringConvertible {
    public var place: RecordPlace
    public var error: IngestError

    public init(_ place: RecordPlace, _ error: IngestError) {
        self.place = place
        self.error = error
    }

    /// A short, stable label, as ``IngestError/reason``: `invalid_json`, `future_timestamp`, `too_old` …
    public var reason: String { error.reason }
    public var message: String { error.message }

    public var description: String { "\(place): \(reason): \(message)" }
}

/// What a decoder made of a request body: the records to normalise, and those it refused itself (a Loki entry that
/// is not `["<ns>", "<line>"]`, a timestamp out of range, a line over the limit).
public struct DecodedRecords: Sendable {
    public var records: [IncomingRecord] = []
    public var refused: [RecordRefusal] = []
    /// The number the next record gets (records and refusals share one count).
    var nextNumber = 1

    public init() {}

    /// The next record's place.
    mutating func nextPlace(isLine: Bool = false) -> RecordPlace {
        defer { nextNumber += 1 }
        return RecordPlace(number: nextNumber, isLine: isLine)
    }

    /// How many records the body held, stored or not (what ``IngestLimits/maxEventsPerRequest`` counts).
    var count: Int { nextNumber - 1 }
}
