import Foundation
@testable import KeelBlockStore
import Testing

/// The head keeps what was acknowledged through any crash, and flushing repeats nothing.
struct HeadTests {
    static func record(_ seq: Int64) -> HeadLogRecords.Record {
        // Times not in arrival order: a block gets them sorted.
        HeadLogRecords.Record(seq: seq, timestamp: 1_795_392_000_000_000 + (seq * 7919) % 50 * 1_000, line: #"{"message":"event \#(seq)"}"#)
    }

    static func path() -> String { FileManager.default.temporaryDirectory.appendingPathComponent("keel-head-\(UUID()).log").path }

    @Test func appendedEventsAreReadAndSurviveAReopen() throws {
        let path = Self.path()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let records = (1...30).map(Self.record)
        do {
            let head = try Head(path: path, durability: .normal, flushedThrough: 0, now: 0)
            try head.append(Array(records.prefix(10)), now: 100)
            try head.append(Array(records.dropFirst(10)), now: 200)
            #expect(head.records == records)
            #expect(head.size.events == 30)
        }
        let reopened = try Head(path: path, durability: .normal, flushedThrough: 0, now: 300)
        #expect(reopened.records == records)
    }

    @Test func aFlushInTwoStepsLosesNothingAndRepeatsNothing() throws {
        let path = Self.path()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let head = try Head(path: path, durability: .full, flushedThrough: 0, now: 0)
        try head.append((1...20).map(Self.record), now: 10)
        let pending = try #require(head.pending(limit: 12))
        #expect(pending.through == 12)
        #expect(pending.records.map(\.seq).sorted() == Array(1...12))
        #expect(pending.records.map(\.timestamp) == pending.records.map(\.timestamp).sorted(), "oldest first")
        // Events arrive between taking the pending ones and writing their block.
        try head.append((21...25).map(Self.record), now: 20)

        // A crash after the block is written but before `flushed`: the reopened head is told the blocks reach 12.
        let afterCrash = try Head(path: path, durability: .full, flushedThrough: 12, now: 30)
        #expect(afterCrash.records.map(\.seq) == Array(13...25))

        try head.flushed(through: 12, now: 40)
        #expect(head.records.map(\.seq) == Array(13...25))
        // The flushed records stay in the log for now (opening it skips them: the blocks reach 12).
        #expect(try Head(path: path, durability: .full, flushedThrough: 12, now: 50).records.map(\.seq) == Array(13...25))
        try head.flushed(through: 25, now: 60)
        #expect(head.records.isEmpty)
        #expect(head.pending(limit: 10) == nil)
        // Emptied, the log is empty.
        #expect(try Head(path: path, durability: .full, flushedThrough: 0, now: 70).records.isEmpty)
    }

    /// After a flush the head answers for exactly the events it still holds — whether few stay (their keys are
    /// filed afresh) or many (the flushed ones' are removed) — and takes new events on either way.
    @Test func afterAFlushItHoldsExactlyTheEventsLeft() throws {
        for (total, flushed) in [(20, 15), (20, 5)] as [(Int64, Int64)] {
            let path = Self.path()
            defer { try? FileManager.default.removeItem(atPath: path) }
            let head = try Head(path: path, durability: .normal, flushedThrough: 0, now: 0)
            let records = (1...total).map(Self.record)
            try head.append(records, now: 10)
            try head.flushed(through: flushed, now: 20)
            for record in records {
                let key = EventKey(timestamp: record.timestamp, line: record.line)
                #expect(head.holds(key) == (record.seq > flushed), "\(total) events, \(flushed) flushed: event \(record.seq)")
            }
            let more = (total + 1...total + 5).map(Self.record)
            try head.append(more, now: 30)
            #expect(more.allSatisfy { head.holds(EventKey(timestamp: $0.timestamp, line: $0.line)) })
            #expect(head.records.map(\.seq) == Array(flushed + 1...total + 5))
        }
    }

    /// An append's claims make its events duplicates at once — a key twice in one claim, a key another append
    /// claimed, a key of an event here — and a flush meanwhile keeps them; an append takes them, and an append whose
    /// log cannot be written, or a release, gives them back.
    @Test func claimedKeysAreDuplicatesUntilAppendedOrGivenBack() throws {
        let path = Self.path()
        defer { try? FileManager.default.removeItem(atPath: path) }
        func key(_ n: Int64) -> EventKey { EventKey(timestamp: 1_000 + n, eventID: "e-\(n)") }
        func record(_ n: Int64) -> HeadLogRecords.Record {
            HeadLogRecords.Record(seq: n, timestamp: 1_000 + n, line: #"{"event_id":"e-\#(n)"}"#)
        }
        let head = try Head(path: path, durability: .normal, flushedThrough: 0, now: 0)
        try head.append((1...20).map(record), now: 0)
        #expect(head.claim([key(5), key(21), key(22), key(21)]) == [false, true, true, false])
        // A flush that drops most of the head files the keys left afresh: the claims are among them.
        try head.flushed(through: 18, now: 1)
        #expect(head.claim([key(21), key(22), key(19), key(5)]) == [false, false, false, true])
        head.release([key(5)])
        try head.append([record(21), record(22)], claimed: [key(21), key(22)], now: 2)
        #expect(head.records.map(\.seq) == [19, 20, 21, 22])
        #expect(head.holds(key(21)) && head.holds(key(22)) && !head.holds(key(5)))
        #expect(head.claim([key(5)]) == [true], "released")

        let unwritable = try Head(path: path + ".missing/head.log", durability: .normal, flushedThrough: 0, now: 0)
        #expect(unwritable.claim([key(1), key(2)]) == [true, true])
        #expect(throws: FileFailure.self) { try unwritable.append([record(1), record(2)], claimed: [key(1), key(2)], now: 0) }
        #expect(unwritable.claim([key(1), key(2)]) == [true, true], "a failed append gives its claims back")
    }

    @Test func theLogIsRewrittenOnceItsFlushedRecordsOutgrowWhatIsLeft() throws {
        let path = Self.path()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let lineBytes = Self.record(1).line.count
        let head = try Head(path: path, durability: .normal, flushedThrough: 0, now: 0, flushedBytesKept: 10 * lineBytes)
        try head.append((1...30).map(Self.record), now: 0)
        try head.flushed(through: 10, now: 1)
        // Ten flushed records are not more than the twenty left: kept.
        #expect(try Head(path: path, durability: .normal, flushedThrough: 0, now: 2).records.count == 30)
        try head.flushed(through: 25, now: 3)
        // Twenty-five flushed records are more than the five left and the ten allowed: rewritten.
        #expect(try Head(path: path, durability: .normal, flushedThrough: 0, now: 4).records.map(\.seq) == Array(26...30))
        // An erasure takes the flushed records out of the log too, whatever it erases of the head.
        try head.append((31...33).map(Self.record), now: 5)
        try head.flushed(through: 31, now: 6)
        #expect(try Head(path: path, durability: .normal, flushedThrough: 0, now: 7).records.count == 8)
        #expect(try head.erase { _ in false } == 0)
        #expect(try Head(path: path, durability: .normal, flushedThrough: 0, now: 8).records.map(\.seq) == [32, 33])
    }

    @Test func itAsksToFlushAsThePolicySays() throws {
        let path = Self.path()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let head = try Head(path: path, durability: .normal, flushedThrough: 0, now: 0)
        let policy = FlushPolicy(maximumRows: 10, maximumBytes: 1 << 20, maximumAge: 1_000)
        #expect(head.decide(policy, now: 5) == .wait(until: nil))
        try head.append((1...3).map(Self.record), now: 100)
        #expect(head.decide(policy, now: 200) == .wait(until: 1_100))
        #expect(head.decide(policy, now: 1_100) == .flush(.age))
        try head.append((4...10).map(Self.record), now: 300)
        #expect(head.decide(policy, now: 300) == .flush(.rows))
        #expect(head.decide(policy, now: 300, closing: true) == .flush(.closing))
    }
}
