/// The batches a sender has in flight, as a pure state machine: at most `limit` taken at once, each read after the
/// one before it, and acknowledged strictly in the order they were taken — a batch the server answered early waits
/// for the ones before it, since the spool's checkpoint is one position and everything before it must be delivered.
/// Several batches in flight let encoding, the network and the server's work overlap; the limit keeps memory bounded
/// whatever the server does (at most `limit` batches held, however long it is down).
package struct SendWindow<Item: Sendable>: Sendable {
    private struct Slot: Sendable {
        let end: SpoolPosition
        /// Set when the batch is finished with: what its acknowledgement needs (the batch, how it ended).
        var finished: Item?
    }

    package let limit: Int
    /// Where the next batch is read from: the end of the last one taken (`nil` before any, and after a ``reset()``:
    /// the spool's acknowledged position).
    package private(set) var next: SpoolPosition?
    /// Taken, oldest first.
    private var slots: [Slot] = []

    package init(limit: Int) { self.limit = max(1, limit) }

    /// Whether another batch may be taken.
    package var hasRoom: Bool { slots.count < limit }
    package var inFlight: Int { slots.count }

    /// A batch ending at `end` was read (after ``next``) and is being sent.
    package mutating func took(end: SpoolPosition) {
        slots.append(Slot(end: end, finished: nil))
        next = end
    }

    /// The batch ending at `end` is finished with (delivered, or given up: `item` says which); returns, oldest first,
    /// what is now to acknowledge: this one and those after it already finished, once every batch before them is.
    package mutating func finished(end: SpoolPosition, _ item: Item) -> [Item] {
        guard let index = slots.firstIndex(where: { $0.end == end && $0.finished == nil }) else { return [] }
        slots[index].finished = item
        let ready = slots.prefix { $0.finished != nil }.count
        let items = slots.prefix(ready).compactMap(\.finished)
        slots.removeFirst(ready)
        return items
    }

    /// Forgets what is in flight (the sender stopped): the next batch is read from the spool's acknowledged position.
    package mutating func reset() {
        slots.removeAll()
        next = nil
    }
}
