import KeelStore
/// The text index holds each chunk's *distinct* messages, once each, rather than every event's: log messages are
/// templates, so most chunks have a handful, and the per-row trigram index was the largest cost of an append
/// (`scripts/sqlite-schema-ceiling.py`: 100k against 79k rows/s). A search finds the chunks whose documents match,
/// then checks the rows of those chunks.
///
/// A document's rowid is `chunk << 8 | slot`, where `slot` is the message's place among the chunk's distinct
/// messages in arrival order (a chunk holds at most 256 events, so at most 256 of them).
struct ChunkText {
    let chunk: Int64
    /// Message → slot, in the order first seen.
    private(set) var slots: [String: Int64] = [:]

    init(chunk: Int64) { self.chunk = chunk }

    /// The chunk's documents for `messages` (in arrival order): what a rebuild after an erasure re-inserts.
    init(chunk: Int64, messages: some Sequence<String>) {
        self.chunk = chunk
        for message in messages { _ = add(message) }
    }

    static func chunk(ofDocument rowid: Int64) -> Int64 { rowid >> 8 }

    /// Records `message`; returns its new document (rowid, text) when the chunk had not seen it.
    mutating func add(_ message: String) -> (rowid: Int64, text: String)? {
        guard !message.isEmpty, slots[message] == nil else { return nil }
        let slot = Int64(slots.count)
        slots[message] = slot
        return (chunk << 8 | slot, message)
    }

    /// Every document, as (rowid, text).
    var documents: [(rowid: Int64, text: String)] { slots.map { (chunk << 8 | $0.value, $0.key) } }
}
