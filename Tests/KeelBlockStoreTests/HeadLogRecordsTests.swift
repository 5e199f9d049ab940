@testable import KeelBlockStore
import Testing

/// What a crash leaves in a head's log is read up to the last whole append, and never past a damaged record.
struct HeadLogRecordsTests {
    static let records = (0..<20).map { n in
        HeadLogRecords.Record(seq: Int64(n + 1), timestamp: 1_795_392_000_000_000 + Int64(n) * 1_000, line: #"{"message":"event \#(n) ✓"}"#)
    }

    @Test func recordsComeBackInOrder() {
        var log: [UInt8] = []
        HeadLogRecords.append(Array(Self.records.prefix(7)), to: &log)
        HeadLogRecords.append(Array(Self.records.dropFirst(7)), to: &log)
        let read = HeadLogRecords.read(log)
        #expect(read.records == Self.records)
        #expect(read.soundLength == log.count)
        #expect(HeadLogRecords.read([]).records.isEmpty)
    }

    @Test func aWriteCutAnywhereLosesOnlyTheRecordItCut() {
        var whole: [UInt8] = []
        HeadLogRecords.append(Array(Self.records.prefix(19)), to: &whole)
        var log = whole
        HeadLogRecords.append([Self.records[19]], to: &log)
        // Every length a crash could have left of the last record.
        for cut in whole.count..<log.count {
            let read = HeadLogRecords.read(Array(log.prefix(cut)))
            #expect(read.records == Array(Self.records.prefix(19)), "cut at \(cut)")
            #expect(read.soundLength == whole.count, "cut at \(cut)")
        }
    }

    @Test func nothingIsReadPastADamagedRecord() {
        var log: [UInt8] = []
        var ends: [Int] = []
        for record in Self.records {
            HeadLogRecords.append([record], to: &log)
            ends.append(log.count)
        }
        for index in log.indices {
            var damaged = log
            damaged[index] ^= 0x21
            let read = HeadLogRecords.read(damaged)
            // The records wholly before the damaged byte, and none after it.
            let before = ends.filter { $0 <= index }.count
            #expect(read.records == Array(Self.records.prefix(before)), "byte \(index)")
            #expect(read.soundLength == (before == 0 ? 0 : ends[before - 1]), "byte \(index)")
        }
    }

    /// A write of several records that a crash cut (a kill during `write(2)` can leave any prefix of it) leaves none
    /// of them: an append is in the log whole or not at all, as a request is acknowledged whole or not at all.
    @Test func anAppendCutAnywhereLeavesNoneOfItsRecords() {
        var whole: [UInt8] = []
        HeadLogRecords.append(Array(Self.records.prefix(5)), to: &whole)
        var log = whole
        HeadLogRecords.append(Array(Self.records.dropFirst(5)), to: &log)
        for cut in whole.count..<log.count {
            let read = HeadLogRecords.read(Array(log.prefix(cut)))
            #expect(read.records == Array(Self.records.prefix(5)), "cut at \(cut)")
            #expect(read.soundLength == whole.count, "cut at \(cut)")
        }
        #expect(HeadLogRecords.read(log).records == Self.records)
    }
}
