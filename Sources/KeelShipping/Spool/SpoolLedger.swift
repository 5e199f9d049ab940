/// Where a record of the spool is: its segment file, and the byte offset of the record in it.
package struct SpoolPosition: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    package var segment: UInt64
    package var offset: Int

    package init(segment: UInt64, offset: Int) {
        self.segment = segment
        self.offset = offset
    }

    package static func < (a: SpoolPosition, b: SpoolPosition) -> Bool { (a.segment, a.offset) < (b.segment, b.offset) }

    package var description: String { "\(segment):\(offset)" }
}

/// What to do when a record does not fit in the spool's bound.
package enum SpoolWhenFull: String, Sendable, CaseIterable {
    /// Drop the oldest segment (its records not yet acknowledged are counted as dropped): for operational logs,
    /// where the newest matter most.
    case dropOldest = "drop_oldest"
    /// Wait for the server to acknowledge enough: for audit and cost events, which must not be lost.
    case block
}

/// The spool's accounting as a pure state machine: its segments (sizes and record counts), where writing goes,
/// what the server acknowledged, and the bound. Every decision about a write (roll to a new segment, drop the
/// oldest, wait) and an acknowledgement (which segments to delete) comes from here, so it is tested without files.
/// Sizes are kept per segment and summed, never decremented from a running total: an accounting slip cannot
/// underflow into a spool that believes itself full (or empty) for ever.
package struct SpoolLedger: Sendable, Equatable {
    package struct Segment: Sendable, Equatable {
        package let id: UInt64
        package var bytes: Int
        package var records: Int
        /// Of its records, those acknowledged (the first ones).
        package var acknowledgedRecords: Int

        package init(id: UInt64, bytes: Int = 0, records: Int = 0, acknowledgedRecords: Int = 0) {
            self.id = id
            self.bytes = bytes
            self.records = records
            self.acknowledgedRecords = acknowledgedRecords
        }
    }

    package enum Write: Sendable, Equatable {
        /// Append at `position`; first open segment `roll` (a new file) when it is set, and delete the segments in
        /// `dropping` (oldest first), whose `droppedRecords` were not acknowledged.
        case append(at: SpoolPosition, roll: UInt64?, dropping: [UInt64], droppedRecords: Int)
        /// The spool is full and may not drop: wait for an acknowledgement.
        case wait
        /// The record alone is larger than the spool may hold.
        case tooLarge
    }

    /// Most bytes of all segments together.
    package let capacity: Int
    /// A segment is closed and a new one started once the next record would take it past this.
    package let segmentSize: Int
    package let whenFull: SpoolWhenFull
    /// Oldest first; the last is the one written to. Never empty.
    package private(set) var segments: [Segment]
    /// Everything before this has been acknowledged by the server.
    package private(set) var acknowledged: SpoolPosition

    package init(capacity: Int, segmentSize: Int, whenFull: SpoolWhenFull, segments: [Segment] = [], acknowledged: SpoolPosition? = nil) {
        self.capacity = max(1, capacity)
        self.segmentSize = max(1, min(segmentSize, capacity))
        self.whenFull = whenFull
        let kept = segments.sorted { $0.id < $1.id }
        self.segments = kept.isEmpty ? [Segment(id: 1)] : kept
        let first = SpoolPosition(segment: self.segments[0].id, offset: 0)
        // A checkpoint before the oldest segment (its segments deleted after it was written) starts at the oldest.
        self.acknowledged = max(acknowledged ?? first, first)
    }

    package var bytes: Int { segments.reduce(0) { $0 + $1.bytes } }

    /// Where the next record goes.
    package var end: SpoolPosition { SpoolPosition(segment: segments[segments.count - 1].id, offset: segments[segments.count - 1].bytes) }

    /// Whether every record has been acknowledged.
    package var isDrained: Bool { acknowledged >= end }

    /// The decision for a record of `size` bytes (framing included). Does not change the ledger: call
    /// ``appended(_:size:)`` with the decision once it is carried out.
    package func write(size: Int) -> Write {
        guard size <= capacity, size <= segmentSize else { return .tooLarge }
        let current = segments[segments.count - 1]
        let roll: UInt64? = current.bytes > 0 && current.bytes + size > segmentSize ? current.id + 1 : nil
        var total = bytes + size
        guard total > capacity else {
            return .append(at: roll.map { SpoolPosition(segment: $0, offset: 0) } ?? end, roll: roll, dropping: [], droppedRecords: 0)
        }
        guard whenFull == .dropOldest else { return .wait }
        // Drop whole segments, oldest first, never the one being written (unless a roll closes it).
        var dropping: [UInt64] = []
        var dropped = 0
        let closable = roll == nil ? segments.dropLast() : segments[...]
        for segment in closable where total > capacity {
            dropping.append(segment.id)
            total -= segment.bytes
            dropped += unacknowledgedRecords(in: segment)
        }
        guard total <= capacity else { return .wait }
        return .append(at: roll.map { SpoolPosition(segment: $0, offset: 0) } ?? end, roll: roll, dropping: dropping, droppedRecords: dropped)
    }

    /// Records a write carried out as `decision` said.
    package mutating func appended(_ decision: Write, size: Int) {
        guard case .append(_, let roll, let dropping, _) = decision else { return }
        if let roll { segments.append(Segment(id: roll)) }
        segments.removeAll { dropping.contains($0.id) }
        if segments.isEmpty { segments = [Segment(id: roll ?? 1)] }
        segments[segments.count - 1].bytes += size
        segments[segments.count - 1].records += 1
        let first = SpoolPosition(segment: segments[0].id, offset: 0)
        if acknowledged < first { acknowledged = first }
    }

    /// The server acknowledged the `records` records of segment `position.segment` before `position.offset` (a
    /// batch never spans segments); returns the segments now wholly acknowledged, to delete (never the one written).
    package mutating func acknowledge(upTo position: SpoolPosition, records: Int) -> [UInt64] {
        guard position > acknowledged, let index = segments.firstIndex(where: { $0.id == position.segment }) else { return [] }
        acknowledged = min(position, end)
        // Earlier segments are acknowledged whole.
        for earlier in 0..<index { segments[earlier].acknowledgedRecords = segments[earlier].records }
        segments[index].acknowledgedRecords = min(segments[index].records, segments[index].acknowledgedRecords + max(0, records))
        var deleted: [UInt64] = []
        while segments.count > 1,
            segments[0].id < acknowledged.segment || (segments[0].id == acknowledged.segment && acknowledged.offset >= segments[0].bytes)
        {
            deleted.append(segments.removeFirst().id)
            if acknowledged.segment < segments[0].id { acknowledged = SpoolPosition(segment: segments[0].id, offset: 0) }
        }
        return deleted
    }

    /// The records of `segment` not yet acknowledged.
    private func unacknowledgedRecords(in segment: Segment) -> Int { max(0, segment.records - segment.acknowledgedRecords) }
}
