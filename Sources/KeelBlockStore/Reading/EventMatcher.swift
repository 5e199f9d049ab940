import Foundation
import Keel
import KeelStore

/// Whether a stored row is one an ``EventQuery`` asks for, decided as cheaply as the row allows.
///
/// Most rows a filtered query reads are not wanted, so the matcher first looks for the bytes every wanted line must
/// contain — the id values, the event name and error code it names, and, ignoring ASCII case, its text in
/// the message — and only parses the lines that have them. That shortcut is taken only where the bytes are the text:
/// a line without escapes, a message of plain ASCII (where ASCII case folding is Unicode's). Any other line, and any
/// needle that an encoder might escape, is parsed and compared exactly (Unicode case folding for text).
struct EventMatcher {
    let query: EventQuery
    /// Byte strings every wanted line contains, as written, with the field slot (``FieldSpans``) they are the whole
    /// text of, for ids.
    private var needles: [(bytes: [UInt8], slot: Int?)] = []
    /// The query's text, lower-cased, when it is plain ASCII.
    private var text: [UInt8]?
    /// Whether any filter beyond the time range applies (otherwise every row in range is wanted).
    let filters: Bool

    init(_ query: EventQuery) {
        self.query = query
        let text = query.text.flatMap { $0.isEmpty ? nil : $0 }
        filters = query.minimumLevel != nil || query.event != nil || query.errorCode != nil || !query.ids.isEmpty || text != nil
        for (field, value) in query.ids where Self.isPlain(value) { needles.append((Array(value.utf8), FieldSpans.slot(of: field))) }
        for value in [query.event, query.errorCode].compactMap({ $0 }) where Self.isPlain(value) { needles.append((Array(value.utf8), nil)) }
        if let text, Self.isPlain(text) { self.text = Array(text.lowercased().utf8) }
    }

    /// Printable ASCII that no JSON encoder escapes.
    static func isPlain(_ value: String) -> Bool {
        !value.isEmpty && value.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x5C && $0 != 0x2F }
    }

    /// Whether `row` surely is not wanted, by its bytes alone, for a line without escapes: an id whose text (where
    /// the block said it lies) is another, a needle the line lacks, or a message (where the block said it lies; else
    /// the whole line) of plain ASCII that lacks the text.
    func rejects(_ row: EventBlock.Row) -> Bool {
        guard !needles.isEmpty || text != nil else { return false }
        return row.line.withUnsafeBufferPointer { bytes in
            guard !ByteSearch.holdsEscape(bytes) else { return false }
            for needle in needles {
                if let slot = needle.slot, case .known(let span) = row.fields.place(slot) {
                    if !bytes[span].elementsEqual(needle.bytes) { return true }
                } else if !ByteSearch.contains(bytes, needle.bytes) {
                    return true
                }
            }
            guard let text else { return false }
            let message: UnsafeBufferPointer<UInt8>
            if case .known(let span) = row.fields.place(FieldSpans.message) {
                message = UnsafeBufferPointer(rebasing: bytes[span])
            } else {
                message = bytes
            }
            for byte in message where byte >= 0x80 { return false }
            return !ByteSearch.contains(message, text, foldingASCIICase: true)
        }
    }

    /// The stored event of `row` (of `tenant`'s `day`) when the query wants it; `nil` otherwise.
    func event(_ row: EventBlock.Row, tenant: String, day: Int) -> StoredEvent? {
        if filters, rejects(row) { return nil }
        guard let event = Self.storedEvent(row, tenant: tenant, day: day) else { return nil }
        return !filters || wants(event) ? event : nil
    }

    /// Whether the query wants `event`, by every filter but time (the read already keeps to its range).
    func wants(_ event: StoredEvent) -> Bool {
        if let level = query.minimumLevel, event.level < level { return false }
        if let name = query.event, event.event != name { return false }
        if let code = query.errorCode, event.errorCode != code { return false }
        for (field, value) in query.ids where event.ids[field] != value { return false }
        if let text = query.text, !text.isEmpty, event.message.range(of: text, options: [.caseInsensitive]) == nil { return false }
        return true
    }

    /// A row as the stored event it is, at its place in the store's order; `nil` for a line that is not one.
    static func storedEvent(_ row: EventBlock.Row, tenant: String, day: Int) -> StoredEvent? {
        guard let parsed = try? StoredEvent(line: String(decoding: row.line, as: UTF8.self), tenant: tenant) else { return nil }
        return StoredEvent(
            eventID: parsed.eventID, timestamp: row.timestamp, tenant: tenant, level: parsed.level, event: parsed.event,
            errorCode: parsed.errorCode, ids: parsed.ids, message: parsed.message, line: parsed.line,
            cursor: EventCursor(day: day, timestamp: row.timestamp, seq: row.seq))
    }
}
