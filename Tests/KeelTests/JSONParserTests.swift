@testable import Keel
import Testing

struct JSONParserTests {
    @Test func parsesWhatTheEncoderWritesKeepingOrderAndExactIntegers() throws {
        let value = try JSONParser.parse(#"{"b":1,"a":[true,false,null,-0.5e3,"x\n\u00e9\ud83d\ude00"],"big":18446744073709551615}"#)
        guard case .object(let members) = value else { Issue.record("not an object"); return }
        #expect(members.map(\.key) == ["b", "a", "big"])
        #expect(value["big"] == .number("18446744073709551615"))
        #expect(value["a"] == .array([.bool(true), .bool(false), .null, .number("-0.5e3"), .string("x\né😀")]))
    }

    @Test(arguments: [
        "", "{", "{\"a\":1,}", "[1,]", "{'a':1}", "{\"a\":1} x", "NaN", "01", "1.", "\"\u{01}\"", "\"\\x\"",
        "\"\\ud800\"", "{\"a\" 1}", "tru", "[1 2]",
    ])
    func rejectsInvalidJSONWithAPosition(_ text: String) {
        #expect(throws: JSONParser.Error.self) { try JSONParser.parse(text) }
    }

    @Test func limitsNesting() {
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: JSONParser.Error.self) { try JSONParser.parse(deep) }
        #expect(throws: Never.self) { try JSONParser.parse(deep, options: .init(maxDepth: 200)) }
    }

    @Test func invalidUTF8IsAnErrorUnlessRepairIsAsked() throws {
        let bytes: [UInt8] = Array(#"{"m":"a"#.utf8) + [0xFF] + Array(#""}"#.utf8)
        #expect(throws: JSONParser.Error.self) { try JSONParser.parse(bytes) }
        let repaired = try JSONParser.parse(bytes, options: .init(repairUTF8: true))
        #expect(repaired["m"] == .string("a\u{FFFD}"))
    }
}
