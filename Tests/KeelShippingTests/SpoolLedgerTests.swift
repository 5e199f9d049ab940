@testable import KeelShipping
import Testing

/// The spool's accounting without files: segments roll at their size, the bound holds by dropping the oldest (its
/// unacknowledged records counted) or by waiting, acknowledgements delete whole segments but never the one written,
/// and a checkpoint older than every segment starts at the oldest.
struct SpoolLedgerTests {
    static func apply(_ ledger: inout SpoolLedger, _ size: Int) -> SpoolLedger.Write {
        let decision = ledger.write(size: size)
        ledger.appended(decision, size: size)
        return decision
    }

    @Test func segmentsRollAtTheirSize() {
        var ledger = SpoolLedger(capacity: 1000, segmentSize: 100, whenFull: .dropOldest)
        let table: [(size: Int, expected: SpoolLedger.Write)] = [
            (60, .append(at: SpoolPosition(segment: 1, offset: 0), roll: nil, dropping: [], droppedRecords: 0)),
            (40, .append(at: SpoolPosition(segment: 1, offset: 60), roll: nil, dropping: [], droppedRecords: 0)),
            (1, .append(at: SpoolPosition(segment: 2, offset: 0), roll: 2, dropping: [], droppedRecords: 0)),
        ]
        for row in table { #expect(Self.apply(&ledger, row.size) == row.expected) }
        #expect(ledger.segments.map(\.bytes) == [100, 1] && ledger.bytes == 101)
        #expect(ledger.write(size: 101) == .tooLarge, "a record larger than a segment is refused")
    }

    @Test func aFullSpoolDropsTheOldestSegmentsCountingWhatWasNotAcknowledged() {
        var ledger = SpoolLedger(capacity: 300, segmentSize: 100, whenFull: .dropOldest)
        for _ in 0..<6 { _ = Self.apply(&ledger, 50) }  // segments 1, 2, 3: two records each, 300 bytes
        // The server has segment 1's first record.
        #expect(ledger.acknowledge(upTo: SpoolPosition(segment: 1, offset: 50), records: 1).isEmpty)
        let decision = Self.apply(&ledger, 50)
        #expect(decision == .append(at: SpoolPosition(segment: 4, offset: 0), roll: 4, dropping: [1], droppedRecords: 1))
        #expect(ledger.segments.map(\.id) == [2, 3, 4] && ledger.bytes == 250)
        #expect(ledger.acknowledged == SpoolPosition(segment: 2, offset: 0), "what was acknowledged moves past the dropped")
        #expect(ledger.bytes <= ledger.capacity)
    }

    @Test func aBlockingSpoolWaitsWhenFullUntilAnAcknowledgement() {
        var ledger = SpoolLedger(capacity: 200, segmentSize: 100, whenFull: .block)
        for _ in 0..<4 { _ = Self.apply(&ledger, 50) }
        #expect(ledger.write(size: 50) == .wait)
        #expect(ledger.acknowledge(upTo: SpoolPosition(segment: 1, offset: 100), records: 2) == [1])
        #expect(ledger.write(size: 50) == .append(at: SpoolPosition(segment: 3, offset: 0), roll: 3, dropping: [], droppedRecords: 0))
    }

    @Test func acknowledgementsDeleteWholeSegmentsButNeverTheOneWritten() {
        var ledger = SpoolLedger(capacity: 1000, segmentSize: 100, whenFull: .dropOldest)
        for _ in 0..<5 { _ = Self.apply(&ledger, 50) }  // 1: 100, 2: 100, 3: 50
        #expect(ledger.acknowledge(upTo: SpoolPosition(segment: 2, offset: 50), records: 1) == [1])
        #expect(ledger.segments.first?.acknowledgedRecords == 1)
        #expect(ledger.acknowledge(upTo: SpoolPosition(segment: 3, offset: 50), records: 1) == [2])
        #expect(ledger.segments.map(\.id) == [3] && ledger.isDrained)
        #expect(ledger.acknowledge(upTo: SpoolPosition(segment: 2, offset: 0), records: 1).isEmpty, "going back changes nothing")
    }

    @Test func aCheckpointBeforeEverySegmentStartsAtTheOldest() {
        // A crash after segments were deleted and before anything else: the checkpoint points at a deleted segment.
        let ledger = SpoolLedger(
            capacity: 1000, segmentSize: 100, whenFull: .dropOldest,
            segments: [.init(id: 7, bytes: 40, records: 2), .init(id: 8, bytes: 10, records: 1)],
            acknowledged: SpoolPosition(segment: 3, offset: 90))
        #expect(ledger.acknowledged == SpoolPosition(segment: 7, offset: 0) && ledger.end == SpoolPosition(segment: 8, offset: 10))
    }
}
