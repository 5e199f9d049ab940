import Foundation
import Keel
@testable import KeelBlockStore
import KeelStore
import Testing

/// A tenant-day of store v2: appends survive reopening, flushes move the oldest events into block files without
/// losing or repeating any, and a damaged block is reported, not misread.
struct BlockPartitionTests {
    static func directory() -> String { FileManager.default.temporaryDirectory.appendingPathComponent("keel-partition-\(UUID())").path }

    static func records(_ seqs: ClosedRange<Int64>) -> [HeadLogRecords.Record] {
        seqs.map { seq in
            let time = 1_795_392_000_000_000 + (seq * 7919) % 1_000 * 1_000_000
            let line = #"{"timestamp":"\#(Timestamp(microsecondsSinceEpoch: time))","level":"INFO","message":"event \#(seq)","request_id":"r-\#(seq)"}"#
            return HeadLogRecords.Record(seq: seq, timestamp: time, line: line)
        }
    }

    static func sorted(_ records: [HeadLogRecords.Record]) -> [HeadLogRecords.Record] { records.sorted { $0.seq < $1.seq } }

    @Test func flushesMoveEventsIntoBlocksAndNothingIsLostOrRepeated() throws {
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let policy = FlushPolicy(maximumRows: 100, maximumBytes: 1 << 20, maximumAge: 10_000_000)
        let all = Self.records(1...450)
        do {
            let partition = try BlockPartition(directory: directory, durability: .normal, policy: policy, now: 0)
            for start in stride(from: 0, to: 450, by: 50) {
                try partition.append(Array(all[start..<(start + 50)]), now: Int64(start))
            }
            #expect(partition.blockFiles.map(\.name) == ["1-100.kb", "101-200.kb", "201-300.kb", "301-400.kb"])
            #expect(partition.headSize == 50)
            let read = partition.events()
            #expect(read.damaged.isEmpty)
            #expect(Self.sorted(read.events) == all)
        }
        // Reopened: the blocks, and the head's 50 from its log.
        let reopened = try BlockPartition(directory: directory, durability: .normal, policy: policy, now: 1_000)
        #expect(reopened.headSize == 50)
        #expect(Self.sorted(reopened.events().events) == all)
        // The age limit flushes the rest; closing flushes whatever is left.
        try reopened.tick(now: 1_000 + 10_000_000)
        #expect(reopened.headSize == 0)
        #expect(reopened.blockFiles.last?.name == "401-450.kb")
        try reopened.append(Self.records(451...460), now: 20_000_000)
        try reopened.tick(now: 20_000_001, closing: true)
        #expect(reopened.headSize == 0)
        #expect(Self.sorted(reopened.events().events) == Self.records(1...460))
    }

    @Test func aCrashBetweenABlockAndItsLogRepeatsNothing() throws {
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let policy = FlushPolicy(maximumRows: 1_000, maximumBytes: 1 << 20, maximumAge: .max / 2)
        let partition = try BlockPartition(directory: directory, durability: .full, policy: policy, now: 0)
        try partition.append(Self.records(1...30), now: 0)
        // As if the process died right after writing the block: the block file exists and the log still holds all 30.
        let rows = Self.records(1...20).map { EventBlock.Row(timestamp: $0.timestamp, line: Array($0.line.utf8), seq: $0.seq) }
        try DurableFiles.write(try BlockFile.contents(rows), to: directory + "/1-20.kb")
        // And a temporary file a crash left half written.
        FileManager.default.createFile(atPath: directory + "/21-30.kb.tmp", contents: Data([1, 2, 3]))
        let reopened = try BlockPartition(directory: directory, durability: .full, policy: policy, now: 0)
        #expect(reopened.headSize == 10)
        #expect(Self.sorted(reopened.events().events) == Self.records(1...30))
        #expect(!FileManager.default.fileExists(atPath: directory + "/21-30.kb.tmp"))
    }

    @Test func readsSkipTheBlocksTheirRangeIdsOrTextRuleOut() throws {
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let policy = FlushPolicy(maximumRows: 10, maximumBytes: 1 << 20, maximumAge: .max / 2)
        let partition = try BlockPartition(directory: directory, durability: .normal, policy: policy, now: 0)
        try partition.append(Self.records(1...35), now: 0)
        #expect(partition.blockFiles.count == 3)
        // An id: only the block that holds it is read, and of it only the line with that id is rebuilt; and the
        // head (five).
        let byID = partition.events(BlockPartition.Narrowing(ids: [(.requestID, "r-15")])).events
        #expect(Set(byID.map(\.seq)) == Set([15]).union(31...35))
        // Text: "event 3" is in the messages of events 3 and 30–35 (not in "event 13"), so the first and third blocks
        // are read, of them only the lines whose message has it are rebuilt; and the head.
        let byText = partition.events(BlockPartition.Narrowing(text: "EVENT 3")).events
        #expect(Set(byText.map(\.seq)) == Set([3, 30]).union(31...35))
        // A range nothing reaches.
        #expect(partition.events(BlockPartition.Narrowing(from: 0, to: 1)).events.isEmpty)
        // Events that arrived after 25: the third block and the head.
        let fresh = partition.events(BlockPartition.Narrowing(arrivedAfter: 25)).events
        #expect(Set(fresh.map(\.seq)) == Set(21...35))
        #expect(Self.sorted(partition.events().events) == Self.records(1...35))
    }

    @Test func aReadWhileFlushesRunSeesEveryEventOnce() async throws {
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let policy = FlushPolicy(maximumRows: 7, maximumBytes: 1 << 20, maximumAge: .max / 2)
        let partition = try BlockPartition(directory: directory, durability: .normal, policy: policy, now: 0)
        let writer = Task.detached {
            for start in stride(from: Int64(1), through: 600, by: 3) { try partition.append(Self.records(start...(start + 2)), now: 0) }
        }
        var reads = 0
        var previous = 0
        while reads < 200 {
            let seqs = partition.events().events.map(\.seq)
            #expect(Set(seqs).count == seqs.count, "an event read twice")
            #expect(seqs.count >= previous, "events went missing")
            // Every arrival so far, with no gap.
            #expect(Set(seqs) == Set((0..<Int64(seqs.count)).map { $0 + 1 }), "a gap in what was read")
            previous = seqs.count
            reads += 1
            await Task.yield()
        }
        try await writer.value
        #expect(Self.sorted(partition.events().events).map(\.seq) == Array(1...600))
    }

    @Test func aDamagedBlockIsReportedAndSkipped() throws {
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let policy = FlushPolicy(maximumRows: 10, maximumBytes: 1 << 20, maximumAge: .max / 2)
        let partition = try BlockPartition(directory: directory, durability: .normal, policy: policy, now: 0)
        try partition.append(Self.records(1...30), now: 0)
        #expect(partition.blockFiles.count == 3)
        let path = directory + "/11-20.kb"
        var bytes = try DurableFiles.read(path)
        bytes[bytes.count - 5] ^= 0xFF
        try DurableFiles.write(bytes, to: path)
        let read = partition.events()
        #expect(read.damaged.map(\.file) == ["11-20.kb"])
        #expect(Self.sorted(read.events) == Self.records(1...10) + Self.records(21...30))
    }

    @Test func smallBlocksAreMergedAndAMergeCutShortRepeatsNothing() throws {
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let policy = FlushPolicy(maximumRows: 100, maximumBytes: 1 << 20, maximumAge: .max / 2)
        let partition = try BlockPartition(directory: directory, durability: .normal, policy: policy, now: 0)
        // Five small blocks (as a quiet day's age flushes leave), then a full one.
        for start in stride(from: Int64(1), through: 41, by: 10) {
            try partition.append(Self.records(start...(start + 9)), now: 0)
            try partition.tick(now: 0, closing: true)
        }
        try partition.append(Self.records(51...150), now: 0)
        #expect(partition.blockFiles.map(\.name) == ["1-10.kb", "11-20.kb", "21-30.kb", "31-40.kb", "41-50.kb", "51-150.kb"])
        #expect(try partition.mergeSmallBlocks())
        #expect(partition.blockFiles.map(\.name) == ["1-50.kb", "51-150.kb"])
        #expect(try !partition.mergeSmallBlocks(), "nothing small is left to merge")
        #expect(Self.sorted(partition.events().events) == Self.records(1...150))
        // As if a merge had written its block and died before removing the ones it merged.
        let leftover = Self.records(1...10).map { EventBlock.Row(timestamp: $0.timestamp, line: Array($0.line.utf8), seq: $0.seq) }
            .sorted { ($0.timestamp, $0.seq) < ($1.timestamp, $1.seq) }
        try DurableFiles.write(try BlockFile.contents(leftover), to: directory + "/1-10.kb")
        let reopened = try BlockPartition(directory: directory, durability: .normal, policy: policy, now: 0)
        #expect(reopened.blockFiles.map(\.name) == ["1-50.kb", "51-150.kb"])
        #expect(!FileManager.default.fileExists(atPath: directory + "/1-10.kb"))
        #expect(Self.sorted(reopened.events().events) == Self.records(1...150))
    }

    @Test func rowsComeInTimeOrderAcrossOverlappingBlocksAndTheHead() throws {
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let policy = FlushPolicy(maximumRows: 13, maximumBytes: 1 << 20, maximumAge: .max / 2)
        let partition = try BlockPartition(directory: directory, durability: .normal, policy: policy, now: 0)
        // Times jump about (records(_:) spreads them over 1,000 s), so every block overlaps others.
        try partition.append(Self.records(1...200), now: 0)
        let all = Self.records(1...200).sorted { ($0.timestamp, $0.seq) < ($1.timestamp, $1.seq) }
        var oldest: [Int64] = []
        _ = partition.rows(BlockPartition.Narrowing(), order: .oldestFirst) { oldest.append($0.seq); return true }
        #expect(oldest == all.map(\.seq))
        var newest: [Int64] = []
        _ = partition.rows(BlockPartition.Narrowing(), order: .newestFirst) { newest.append($0.seq); return true }
        #expect(newest == all.reversed().map(\.seq))
        // A range, and stopping early.
        let from = all[50].timestamp, to = all[120].timestamp
        var ranged: [Int64] = []
        let (finished, _) = partition.rows(BlockPartition.Narrowing(from: from, to: to), order: .oldestFirst) { row in
            ranged.append(row.seq)
            return ranged.count < 10
        }
        #expect(!finished)
        #expect(ranged == all.filter { $0.timestamp >= from && $0.timestamp < to }.prefix(10).map(\.seq))
    }

    @Test func anEventIsFoundByItsKeyInTheHeadAndInBlocks() throws {
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let policy = FlushPolicy(maximumRows: 10, maximumBytes: 1 << 20, maximumAge: .max / 2)
        let partition = try BlockPartition(directory: directory, durability: .normal, policy: policy, now: 0)
        let records = (1...25).map { seq in
            let line = #"{"timestamp":"2026-11-24T00:00:00Z","message":"m","event_id":"e-\#(seq)"}"#
            return HeadLogRecords.Record(seq: Int64(seq), timestamp: Int64(seq), line: line)
        }
        try partition.append(records, now: 0)
        #expect(partition.blockFiles.count == 2)
        #expect(partition.holds(EventKey(timestamp: 3, eventID: "e-3")), "in a block")
        #expect(partition.holds(EventKey(timestamp: 24, eventID: "e-24")), "in the head")
        #expect(!partition.holds(EventKey(timestamp: 4, eventID: "e-3")), "another time")
        #expect(!partition.holds(EventKey(timestamp: 3, eventID: "e-4")), "another id")
    }

    /// A block whose filter is larger than the first read of a file (32 KiB) is indexed whole on reopening: every
    /// event is read back and found by its id.
    @Test func aBlockWithALargeFilterIsReadBackAfterReopening() throws {
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let policy = FlushPolicy(maximumRows: 30_000, maximumBytes: 64 << 20, maximumAge: .max / 2)
        let records = (1...30_000).map { seq in
            let line = #"{"timestamp":"2026-11-24T00:00:00Z","message":"m","event_id":"e-\#(seq)","request_id":"r-\#(seq)"}"#
            return HeadLogRecords.Record(seq: Int64(seq), timestamp: Int64(seq), line: line)
        }
        do {
            let partition = try BlockPartition(directory: directory, durability: .normal, policy: policy, now: 0)
            try partition.append(records, now: 0)
            #expect(partition.blockFiles.count == 1)
        }
        let bytes = try DurableFiles.read(directory + "/1-30000.kb")
        #expect(BlockFilter(rows: [EventBlock.Row(timestamp: 0, line: Array(records[0].line.utf8))]).bytes.count < bytes.count)
        let reopened = try BlockPartition(directory: directory, durability: .normal, policy: policy, now: 0)
        let read = reopened.events(BlockPartition.Narrowing(ids: [(.requestID, "r-29999")]))
        #expect(read.damaged.isEmpty)
        #expect(read.events.map(\.seq) == [29_999])
        #expect(reopened.events().events.count == 30_000)
        #expect(try BlockFile.read(bytes).filter.bytes.count > 32 << 10, "the filter is larger than the first read")
    }
}
