import Foundation
import Keel
@testable import KeelBlockStore
import KeelStore
import Testing

/// What a read takes from a block's columns without its lines: the rows a test picks never leave out one whose line
/// passes, and the members picked are those of the line.
struct BlockColumnsTests {
    static func columns(_ rows: [EventBlock.Row]) throws -> BlockColumns {
        try EventBlock.columns(of: try EventBlock.encode(rows))
    }

    /// The varied rows without the one shape whose key has an escape (with it, a block is not tested on columns).
    static func rowsWithPlainKeys(_ count: Int) -> [EventBlock.Row] {
        EventBlockTests.variedRows(count).filter { !String(decoding: $0.line, as: UTF8.self).contains(#"we\"ird"#) }
    }

    @Test func aLineTestKeepsEveryRowThatHoldsTheText() throws {
        let rows = Self.rowsWithPlainKeys(400)
        let columns = try Self.columns(rows)
        // Pieces of the lines themselves, from every place in a few of them, and text that is in none.
        var needles: Set<[UInt8]> = [Array("zanzibar".utf8), Array("request handled".utf8), Array("2026-11-23T0".utf8)]
        for row in rows.prefix(12) {
            for start in stride(from: 0, to: row.line.count, by: 3) {
                for length in [1, 4, 9] where start + length <= row.line.count { needles.insert(Array(row.line[start..<(start + length)])) }
            }
        }
        // What no line holds leaves only the lines a block kept whole, for the reader to check.
        let whole = try #require(columns.rows(where: [.lineContains(Array("zanzibar".utf8))]))
        #expect(whole.filter { $0 }.count == rows.filter { $0.line.first != UInt8(ascii: "{") || $0.line.starts(with: Array("{ ".utf8)) }.count)
        for needle in needles where BlockColumns.RowTest.canTestLine(for: needle) {
            let wanted = try #require(columns.rows(where: [.lineContains(needle)]))
            for (index, row) in rows.enumerated() {
                let holds = row.line.withUnsafeBufferPointer { ByteSearch.contains($0, needle) }
                if holds { #expect(wanted[index], "row \(index) holds \(String(decoding: needle, as: UTF8.self))") }
                // Of the lines rebuilt from columns, exactly those that hold it, unless it might be in a row's time.
                if !whole[index], !needle.allSatisfy(RowTimeText.mayHold) { #expect(wanted[index] == holds, "row \(index)") }
            }
        }
    }

    /// An id written with an escape may be the id sought: a longer value with an escape is kept for the reader to
    /// check its line; one as long as the id or shorter cannot stand for it (an escape is longer than what it stands
    /// for) and is ruled out with the plain values that differ.
    @Test func anIDWrittenWithAnEscapeIsKept() throws {
        let ids = [#"req-9"#, #"req-\u0039"#, #"req-8"#, #"req-\/"#, #"req-99"#, #"r\u0065q-9"#, #"r\/-9"#]
        let rows = ids.enumerated().map { index, id in
            EventBlock.Row(timestamp: Int64(index), line: Array(#"{"message":"m","request_id":"\#(id)"}"#.utf8), seq: Int64(index + 1))
        }
        let wanted = try #require(try Self.columns(rows).rows(where: [.string(key: "request_id", is: "req-9")]))
        #expect(wanted == [true, true, false, true, false, true, false])
    }

    @Test func idAndTextTestsKeepEveryRowTheQueryWants() throws {
        let rows = Self.rowsWithPlainKeys(400)
        let columns = try Self.columns(rows)
        let whole = try #require(columns.rows(where: [.string(key: "request_id", is: "none")])).filter { $0 }.count
        #expect(whole < rows.count / 3)
        for n in [0, 9, 18, 279] {
            let id = "req-\(n)"
            let wanted = try #require(columns.rows(where: [.string(key: "request_id", is: id)]))
            for (index, row) in rows.enumerated() {
                let event = try? StoredEvent(line: String(decoding: row.line, as: UTF8.self), tenant: "t")
                if event?.ids[.requestID] == id { #expect(wanted[index], "\(id) at row \(index)") }
            }
            #expect(wanted.filter { $0 }.count <= whole + 1, "\(id) rules rows out")
        }
        for text in ["REQUEST handled", "quoted", "payé", "twice", "zanzibar"] {
            let lower = Array(text.lowercased().utf8)
            guard lower.allSatisfy({ $0 < 0x80 }) else { continue }
            let wanted = try #require(columns.rows(where: [.messageContains(lower)]))
            for (index, row) in rows.enumerated() {
                let event = try? StoredEvent(line: String(decoding: row.line, as: UTF8.self), tenant: "t")
                if let event, event.message.range(of: text, options: .caseInsensitive) != nil { #expect(wanted[index], "\(text) at row \(index)") }
            }
        }
        // A block with an escaped key is not tested on columns at all.
        #expect(try Self.columns(EventBlockTests.variedRows(40)).rows(where: [.lineContains(Array("a".utf8))]) == nil)
    }

    /// Most blocks hold lines of one shape (the same keys in the same order); their tests take a shorter way, and
    /// must pick exactly the rows whose lines pass.
    @Test func aBlockOfOneShapeKeepsExactlyTheRowsThatPass() throws {
        let rows = (0..<300).map { n in
            let message = n % 7 == 0 ? "upstream TIMEOUT" : n % 50 == 3 ? "zanzibar here" : "request handled \(n % 4)"
            // An id that holds another as its end, and one written with an escape (the reader checks such lines).
            let id = n == 100 ? "xreq-42" : n == 101 ? #"req-4\u0032"# : "req-\(n)"
            return EventBlock.Row(
                timestamp: 1_795_435_200_000_000 + Int64(n),
                line: Array(#"{"level":"\#(n % 3 == 0 ? "ERROR" : "INFO")","message":"\#(message)","request_id":"\#(id)","status":\#(200 + n % 5)}"#.utf8),
                seq: Int64(n + 1))
        }
        let columns = try Self.columns(rows)
        func expectExactly(_ test: BlockColumns.RowTest, _ passes: (String) -> Bool) throws {
            let wanted = try #require(columns.rows(where: [test]))
            for (index, row) in rows.enumerated() {
                #expect(wanted[index] == passes(String(decoding: row.line, as: UTF8.self)), "row \(index), \(test)")
            }
        }
        try expectExactly(.string(key: "request_id", is: "req-42")) { $0.contains(#""req-42""#) || $0.contains(#"\u0032"#) }
        try expectExactly(.messageContains(Array("upstream timeout".utf8))) { $0.contains("upstream TIMEOUT") }
        try expectExactly(.messageContains(Array("zanzibar".utf8))) { $0.contains("zanzibar") }
        try expectExactly(.lineContains(Array("ERROR".utf8))) { $0.contains("ERROR") }
        try expectExactly(.lineContains(Array("204".utf8))) { $0.contains("204") }
        try expectExactly(.lineContains(Array("status".utf8))) { _ in true }
        try expectExactly(.lineContains(Array("absent".utf8))) { _ in false }
        // Two tests: the rows that pass both.
        let both = try #require(columns.rows(where: [.lineContains(Array("ERROR".utf8)), .messageContains(Array("timeout".utf8))]))
        for (index, row) in rows.enumerated() {
            let line = String(decoding: row.line, as: UTF8.self)
            #expect(both[index] == (line.contains("ERROR") && line.contains("TIMEOUT")), "row \(index)")
        }
    }

    /// A shape with a key twice has two values of it a row: its hits are followed through the rows, never taken
    /// as the rows' own.
    @Test func aKeyTwiceInEveryLineIsFollowedRowByRow() throws {
        let rows = (0..<50).map { n in
            EventBlock.Row(timestamp: Int64(n), line: Array(#"{"tag":"first-\#(n)","tag":"second-\#(n)"}"#.utf8), seq: Int64(n + 1))
        }
        let columns = try Self.columns(rows)
        for needle in ["second-7", "first-30", "second-4"] {
            let wanted = try #require(columns.rows(where: [.lineContains(Array(needle.utf8))]))
            for (index, row) in rows.enumerated() {
                #expect(wanted[index] == String(decoding: row.line, as: UTF8.self).contains(needle), "\(needle), row \(index)")
            }
        }
    }

    @Test func membersAreThoseOfTheLine() throws {
        let rows = EventBlockTests.variedRows(500)
        let columns = try Self.columns(rows)
        let names = ["level", "message", "timestamp", "status", "context", "retryable", "error", "we\"ird key", "no_such_field", "n"]
        var picker = MemberPicker(names)
        var seen = 0
        let finished = columns.members(names) { index, members in
            let got = members.map { $0.map { Array($0) } }
            var want: [[UInt8]?] = []
            _ = rows[index].line.withUnsafeBufferPointer { line in
                picker.pick(line) { picked in
                    want = picked.map { $0.map { Array($0) } }
                    return true
                }
            }
            #expect(got == want, "row \(index): \(String(decoding: rows[index].line, as: UTF8.self))")
            #expect(columns.times[index] == rows[index].timestamp)
            seen += 1
            return true
        }
        #expect(finished && seen == rows.count)
        // Stopping stops.
        var calls = 0
        #expect(!columns.members(["level"]) { _, _ in
            calls += 1
            return calls < 10
        })
        #expect(calls == 10)
    }
}
