import Keel
import KeelStore
@testable import KeelBlockStore
import Testing

/// A block's filter never says no to what the block holds, and mostly says no to what it does not.
struct BlockFilterTests {
    @Test func whatABlockHoldsIsNeverRuledOut() throws {
        let rows = EventBlockTests.variedRows(900)
        let filter = BlockFilter(rows: rows)
        var checked = 0
        for row in rows {
            let line = String(decoding: row.line, as: UTF8.self)
            let message = StoredEvent.message(of: line)
            // Every substring of three characters or more, and the whole message in other cases.
            let characters = Array(message)
            for start in stride(from: 0, to: characters.count, by: 3) {
                for length in [3, 5, 11] where start + length <= characters.count {
                    let part = String(characters[start..<(start + length)])
                    #expect(filter.mightContain(text: part), "\(part) of \(message)")
                    checked += 1
                }
            }
            #expect(filter.mightContain(text: message.uppercased()))
            #expect(filter.mightContain(text: message.lowercased()))
            if let id = (try? JSONParser.parse(line))?["request_id"]?.stringValue { #expect(filter.mightContain(.requestID, id)) }
        }
        #expect(checked > 1_000)
        #expect(filter.mightContain(text: "ZOË A PAYÉ"), "folded as searches fold")
        #expect(filter.mightContain(text: "ab"), "text under three bytes cannot be ruled out")
    }

    @Test func whatItDoesNotHoldIsMostlyRuledOut() throws {
        let filter = BlockFilter(rows: EventBlockTests.variedRows(900))
        let words = (0..<2_000).map { "absent-\($0)-word" }
        let passed = words.filter { filter.mightContain(text: $0) }.count
        #expect(passed < 60, "\(passed) of 2,000 absent words passed (designed for ~1 %)")
        let ids = (0..<2_000).filter { filter.mightContain(.requestID, "req-x\($0)") }.count
        #expect(ids < 60, "\(ids) of 2,000 absent ids passed")
        #expect(BlockFilter(bytes: filter.bytes[...]) == filter)
    }

    /// The filter a block gets from its columns' parse is the one its lines give read one by one, whatever they hold:
    /// escapes, text beyond ASCII, empty and missing ids, a line kept whole, a message that repeats, an id that repeats
    /// in the next line and further on.
    @Test func theFilterMadeWithTheColumnsIsTheFilterOfTheLines() throws {
        let lines = [
            #"{"message":"plain words","event_id":"e-1","request_id":"r-1","user_id":"u"}"#,
            #"{"message":"plain words","event_id":"e-2","request_id":"r-2","trace_id":"","user_id":"u"}"#,
            #"{"message":"caf\u00e9 \"quoted\" ✓ Straße","event_id":"e-3","run_id":"run-\u0041"}"#,
            #"{ "message" : "kept whole", "event_id":"e-4", "request_id":"r-4" }"#,
            #"{"message":"ÉCOLE","event_id":"e-5","request_id":"r-✓","user_id":"u"}"#,
            #"{"message":"ÉCOLE","event_id":"e-7","user_id":"v"}"#,
            #"{"level":"INFO","event_id":"e-6"}"#,
            "not json at all",
        ]
        let rows = lines.enumerated().map { EventBlock.Row(timestamp: Int64($0.offset) * 7, line: Array($0.element.utf8), seq: Int64($0.offset + 1)) }
        let (_, filter) = try EventBlock.encodeWithFilter(rows)
        #expect(filter == BlockFilter(rows: rows))
        #expect(filter.mightContain(.runID, "run-A"))
        #expect(filter.mightContain(.userID, "u") && filter.mightContain(.userID, "v"))
        #expect(filter.mightContain(text: "CAFÉ \"QUOTED\""))
        #expect(filter.mightContain(EventKey(timestamp: 21, eventID: "e-4")))
    }
}
