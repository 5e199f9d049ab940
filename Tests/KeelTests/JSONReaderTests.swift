@testable import Keel
import Testing

/// The one JSON reader: listing an object's members (ingest) accepts exactly what building its tree accepts (no UTF-8
/// repair), and says why it refuses; a line ingest lets through is stored as sent.
struct JSONReaderTests {
    static func scan(_ text: [UInt8], maxDepth: Int = 32) -> Result<[JSONReader.Member], JSONParser.Error> {
        text.withUnsafeBufferPointer { bytes in
            var members: [JSONReader.Member] = []
            do throws(JSONParser.Error) {
                try JSONReader.members(of: bytes, maxDepth: maxDepth, into: &members)
                return .success(members)
            } catch {
                return .failure(error)
            }
        }
    }

    static func scan(_ text: String) -> Result<[JSONReader.Member], JSONParser.Error> { scan(Array(text.utf8)) }

    @Test func membersAreTheTopLevelKeysAndValuesAsWritten() throws {
        let text = #" { "a" : 1 , "b\"c": "x\ny" , "d":{"e":[1,{"f":null}]}, "g": [ ], "h":true, "a": -2.5e3 } "#
        let members = try Self.scan(text).get()
        let bytes = Array(text.utf8)
        func slice(_ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }
        #expect(members.map { slice($0.key) } == ["a", #"b\"c"#, "d", "g", "h", "a"])
        #expect(members.map { slice($0.value) } == ["1", #""x\ny""#, #"{"e":[1,{"f":null}]}"#, "[ ]", "true", "-2.5e3"])
        #expect(members.map(\.kind) == [.number, .string, .object, .array, .bool, .number])
        #expect(members.map(\.keyEscaped) == [false, true, false, false, false, false])
        #expect(members.map(\.valueEscaped) == [false, true, false, false, false, false])
    }

    @Test func refusalsSayWhy() {
        let cases: [(String, [UInt8], JSONParser.Error.Kind)] = [
            ("array", Array("[1,2]".utf8), .unexpectedType),
            ("string", Array(#""x""#.utf8), .unexpectedType),
            ("bare word", Array("{\"a\": oops}".utf8), .syntax),
            ("trailing comma", Array(#"{"a":1,}"#.utf8), .syntax),
            ("text after", Array(#"{"a":1} x"#.utf8), .syntax),
            ("unterminated", Array(#"{"a":"x}"#.utf8), .syntax),
            ("leading zero", Array(#"{"a":01}"#.utf8), .syntax),
            ("bare fraction", Array(#"{"a":1.}"#.utf8), .syntax),
            ("bare exponent", Array(#"{"a":1e}"#.utf8), .syntax),
            ("control character", Array("{\"a\":\"x\u{01}\"}".utf8), .syntax),
            ("bad escape", Array(#"{"a":"\q"}"#.utf8), .syntax),
            ("lone high surrogate", Array(#"{"a":"\ud83d"}"#.utf8), .invalidUTF8),
            ("lone low surrogate", Array(#"{"a":"\ude00"}"#.utf8), .invalidUTF8),
            ("stray continuation byte", Array(#"{"a":""#.utf8) + [0x80] + Array(#""}"#.utf8), .invalidUTF8),
            ("overlong slash", Array(#"{"a":""#.utf8) + [0xC0, 0xAF] + Array(#""}"#.utf8), .invalidUTF8),
            ("UTF-8 surrogate", Array(#"{"a":""#.utf8) + [0xED, 0xA0, 0x80] + Array(#""}"#.utf8), .invalidUTF8),
            ("past U+10FFFF", Array(#"{"a":""#.utf8) + [0xF4, 0x90, 0x80, 0x80] + Array(#""}"#.utf8), .invalidUTF8),
            ("cut sequence", Array(#"{"a":""#.utf8) + [0xE2, 0x82] + Array(#""}"#.utf8), .invalidUTF8),
            // Inside long strings, which the reader steps over eight bytes at a time.
            ("stray byte in a long string", Array(#"{"a":"0123456789abcdef"#.utf8) + [0xFF] + Array(#"0123456789abcdef"}"#.utf8), .invalidUTF8),
            ("cut sequence in a long string", Array(#"{"a":"0123456789ab"#.utf8) + [0xE2, 0x82] + Array(#"cdef0123456789"}"#.utf8), .invalidUTF8),
            ("control character in a long string", Array("{\"a\":\"0123456789ab\u{09}cdef0123456789\"}".utf8), .syntax),
            ("too deep", Array((String(repeating: #"{"a":"#, count: 33) + "1" + String(repeating: "}", count: 33)).utf8), .tooDeep),
        ]
        for (name, text, reason) in cases {
            guard case .failure(let failure) = Self.scan(text) else {
                Issue.record("\(name): accepted")
                continue
            }
            #expect(failure.kind == reason, "\(name): \(failure.description)")
        }
        // Long strings in any script are accepted, with what they hold.
        let scripts = #"{"ja":"ログの検索とアラートの設定はこちらから","ru":"Журнал событий сервера: ошибка","mixed":"abc ü def 😀 ghi é"}"#
        let members = try? Self.scan(scripts).get()
        #expect(members?.count == 3)
        #expect((try? JSONParser.parse(scripts))?["ja"]?.stringValue == "ログの検索とアラートの設定はこちらから")
        // 32 levels are allowed, as the parser allows them.
        let deepest = String(repeating: #"{"a":"#, count: 31) + "1" + String(repeating: "}", count: 31)
        #expect((try? Self.scan("{\"x\":" + deepest + "}").get()) != nil)
    }

    /// Thousands of small texts, some made invalid byte by byte: the scanner and ``JSONParser`` (strict) agree on
    /// every one about whether it is a valid JSON object.
    @Test func acceptsExactlyWhatTheStrictParserAccepts() {
        let seeds = [
            #"{"a":1,"b":[true,false,null],"c":{"d":"é\u00e9\"\\\/\b\f\n\r\t"},"e":-0.5E+3}"#,
            #"{"emoji":"😀 \ud83d\ude00","k\u0065y":"v","n":0,"m":-12.75e-2,"x":[],"y":{}}"#,
            #"{ "spaced" : [ 1 , 2 , { "z" : "ü" } ] }"#,
            // Long plain strings: the scanner reads these eight bytes at a time.
            #"{"long":"abcdefghijklmnopqrstuvwxyz0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ","k":"0123456789abcdef"0123456789abcdef"}"#,
        ]
        var random = SystemRandomNumberGenerator()
        let interesting: [UInt8] = [0x22, 0x5C, 0x7B, 0x7D, 0x5B, 0x5D, 0x2C, 0x3A, 0x30, 0x2D, 0x2E, 0x65, 0x75, 0x80, 0xC0, 0xE2, 0xED, 0xF4, 0xFF, 0x01, 0x20]
        var disagreements: [String] = []
        for seed in seeds {
            let original = Array(seed.utf8)
            for _ in 0..<2000 {
                var text = original
                for _ in 0..<Int.random(in: 1...2, using: &random) {
                    let at = Int.random(in: 0..<text.count, using: &random)
                    switch Int.random(in: 0..<3, using: &random) {
                    case 0: text[at] = interesting.randomElement(using: &random)!
                    case 1: text.remove(at: at)
                    default: text.insert(interesting.randomElement(using: &random)!, at: at)
                    }
                    if text.isEmpty { text = original }
                }
                let parsed = try? JSONParser.parse(text, options: .init(maxDepth: 32, repairUTF8: false))
                let parserAccepts = if case .object? = parsed { true } else { false }
                let scannerAccepts = (try? Self.scan(text).get()) != nil
                if parserAccepts != scannerAccepts { disagreements.append(String(decoding: text, as: UTF8.self)) }
            }
        }
        #expect(disagreements.isEmpty, "\(disagreements.prefix(5))")
    }
}
