package import KeelStore

/// Where the texts (between their quotes) of a decoded line's `message` and id strings lie in the line: recorded
/// while the line is rebuilt from its block's columns, at no cost, so that a read compares a field's bytes instead
/// of searching the whole line. A field seen twice in one line is marked unknown: the reader then looks at the line.
package struct FieldSpans: Sendable {
    /// Per slot: the span's start, or -1 (absent) or -2 (unknown); and its end.
    private var starts = SIMD8<Int32>(repeating: -1)
    private var ends = SIMD8<Int32>(repeating: -1)
    /// Whether the spans were recorded at all (a row rebuilt from columns); if not, every slot is unknown.
    private var recorded: Bool

    /// No spans known (a row from the head, or a line a block kept whole).
    package init() {
        recorded = false
    }

    /// Spans to be recorded while a line is rebuilt.
    init(recording: Void) {
        recorded = true
    }

    /// The message's slot.
    package static let message = 0

    /// An id field's slot.
    package static func slot(of field: IDField) -> Int {
        switch field {
        case .requestID: 1
        case .traceID: 2
        case .runID: 3
        case .userID: 4
        }
    }

    /// The slot of a member's key, if it has one: the fields a block's filter reads (one vocabulary of them,
    /// ``FilterBuilder/Role``), but the event id, which reads find through the filter alone.
    static func slot(ofKey key: some Collection<UInt8>) -> Int? {
        switch FilterBuilder.Role(key: key) {
        case .message: message
        case .id(let field): slot(of: field)
        case .eventID, nil: nil
        }
    }

    mutating func set(_ slot: Int, _ span: Range<Int>) {
        guard starts[slot] == -1, let start = Int32(exactly: span.lowerBound), let end = Int32(exactly: span.upperBound) else {
            starts[slot] = -2
            return
        }
        starts[slot] = start
        ends[slot] = end
    }

    /// Where the slot's text lies: `.known(span)`, `.absent` (the line has no such string member), or `.unknown`
    /// (not recorded: a line not rebuilt from columns, or a field seen twice).
    package enum Place: Equatable {
        case known(Range<Int>)
        case absent
        case unknown
    }

    package func place(_ slot: Int) -> Place {
        guard recorded else { return .unknown }
        switch starts[slot] {
        case -1: return .absent
        case -2: return .unknown
        default: return .known(Int(starts[slot])..<Int(ends[slot]))
        }
    }
}
