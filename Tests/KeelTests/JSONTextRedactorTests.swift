import Foundation
import Keel
import Testing

/// `Redactor.redactJSON` (bytes in, bytes out) must give exactly what parsing, redacting the tree and writing it
/// gives: it is the same engine without the tree.
@Suite struct JSONTextRedactorTests {
    /// Redacts `line` both ways and returns (streamed, through the tree), each with its types.
    func bothWays(_ line: String, _ redactor: Redactor = Redactor()) throws -> (
        stream: String, streamTypes: [RedactionType], tree: String, treeTypes: [RedactionType]
    ) {
        var out = OutputBuffer()
        defer { out.deallocate() }
        var text = line
        let types = try text.withUTF8 { try redactor.redactJSON(UnsafeRawBufferPointer($0), to: &out) }
        let tree = redactor.redact(try JSONParser.parse(line, options: .init(maxDepth: 128, repairUTF8: true)))
        return (String(decoding: out.bytes, as: UTF8.self), types, tree.value.jsonText, tree.types)
    }

    func expectSame(_ line: String, _ redactor: Redactor = Redactor(), sourceLocation: SourceLocation = #_sourceLocation) throws {
        let r = try bothWays(line, redactor)
        #expect(r.stream == r.tree, "\(line)", sourceLocation: sourceLocation)
        #expect(r.streamTypes == r.treeTypes, "\(line)", sourceLocation: sourceLocation)
    }

    @Test func matchesTheTreeOnEveryShape() throws {
        let lines = [
            #"{"msg":"mail ann@example.com now","n":1,"ok":true,"none":null}"#,
            #"  { "a" : [ 1 , 2.5e3 , -0 , "x" ] ,"b":{ } , "c":[ ] }  "#,
            // Secrets of every type; a null secret stays null.
            #"{"password":"hunter22","api_key":12345,"token":{"a":[1,2]},"secret":null,"Authorization":["Bearer abc"]}"#,
            // Bodies of every type, nested and in arrays.
            #"{"body":"{\"card\":\"4111 1111 1111 1111\"}","x":[{"payload":{"k":[1,"v"]}},{"content":null}],"messages":[1,2]}"#,
            // Escapes, unicode escapes, surrogate pairs, a lone surrogate (repaired) and escaped detector triggers.
            #"{"m":"line\nbreak \"q\" \u00e9 \ud83d\ude00 \ud800 x","e":"mail\u0040example.com is ann\u0040example.com","t\u006fken":"abc"}"#,
            // Keys are redacted too; a key with an email and a key that is a secret name with escapes.
            #"{"ann@example.com":1,"pass\u0077ord":"x"}"#,
            // Card numbers as JSON numbers (Luhn-valid and not), and as strings.
            #"{"c":4111111111111111,"d":4111111111111112,"e":"4111-1111-1111-1111","f":1.5,"g":-4111111111111111}"#,
            // Non-ASCII text, control characters written escaped, and DEL/C1/U+2028 written raw.
            "{\"name\":\"Zoë Ünal — +44 20 7946 0958\",\"c\":\"a\\u0001b\",\"d\":\"\u{7F}\u{85}\u{2028}\"}",
            // A raw DEL before the closing quote, and an escape only in a later string.
            "{\"a\":\"x\u{7F}y ann@example.com\",\"b\":\"line\\nbreak\"}",
            #"["top","level",{"array":true}]"#,
            #""just a string with 10.0.0.1""#,
            "42",
            "null",
        ]
        for line in lines { try expectSame(line) }
    }

    /// The public form: a `String` in, a `String` and the types out; not JSON is an error, never a guess.
    @Test func theTextFormRedactsAJSONStringAndRefusesAnythingElse() throws {
        let (json, types) = try Redactor().redactJSON(#"{"email":"ann@example.com","n":1}"#)
        #expect(json == #"{"email":"[REDACTED:EMAIL]","n":1}"#)
        #expect(types == [.email])
        #expect(throws: JSONParser.Error.self) { try Redactor().redactJSON(#"{"email":"#) }
    }

    @Test func invalidUTF8IsRepairedAsTheParserDoes() throws {
        var bytes = Array(#"{"k":"a"#.utf8)
        bytes += [0xC3, 0x28]
        bytes += Array(" ann@example.com\",\"".utf8)
        bytes += [0xFF]
        bytes += Array(#"x":1}"#.utf8)
        let redactor = Redactor()
        var out = OutputBuffer()
        defer { out.deallocate() }
        let types = try bytes.withUnsafeBytes { try redactor.redactJSON($0, to: &out) }
        let tree = redactor.redact(try JSONParser.parse(bytes, options: .init(maxDepth: 128, repairUTF8: true)))
        #expect(String(decoding: out.bytes, as: UTF8.self) == tree.value.jsonText)
        #expect(types == [.email])
    }

    @Test func longStringsAreCutAfterRedactionAsInTheTree() throws {
        var policy = RedactionPolicy()
        policy.maximumStringLength = 24
        let redactor = Redactor(policy: policy)
        try expectSame(#"{"long":"ann@example.com and then a great deal more text","é":"ééééééééééééééééééééé"}"#, redactor)
        let r = try bothWays(#"{"long":"0123456789012345678901234567890"}"#, redactor)
        #expect(r.stream == #"{"long":"012345678901234567890123…[truncated, 31 bytes]"}"#)
    }

    @Test func allowListedPathsGiveTheTreeResult() throws {
        var policy = RedactionPolicy()
        policy.allowedPaths = ["user.email"]
        try expectSame(#"{"user":{"email":"ann@example.com","other":"bob@example.com"}}"#, Redactor(policy: policy))
    }

    @Test func invalidJSONThrowsAndLeavesTheOutputAsItWas() throws {
        let redactor = Redactor()
        var out = OutputBuffer()
        defer { out.deallocate() }
        out.append("kept;")
        for bad in [
            #"{"a":1"#, #"{"a":01}"#, #"{"a":"x"} trailing"#, #"{"password":[1,}"#, #"{"body":{"a":}}"#,
            #"{"a":"unterminated"#, "{\"a\":\"raw\ncontrol\"}", #"{"a":"\q"}"#, #"{"a":tru}"#, #"[1,2,]"#, "",
        ] {
            var text = bad
            #expect(throws: JSONParser.Error.self, "\(bad)") {
                try text.withUTF8 { _ = try redactor.redactJSON(UnsafeRawBufferPointer($0), to: &out) }
            }
            #expect(String(decoding: out.bytes, as: UTF8.self) == "kept;", "\(bad)")
        }
    }

    @Test func nestingBeyondTheLimitIsAnError() throws {
        let redactor = Redactor()
        var out = OutputBuffer()
        defer { out.deallocate() }
        var deep = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        #expect(throws: JSONParser.Error.self) {
            try deep.withUTF8 { _ = try redactor.redactJSON(UnsafeRawBufferPointer($0), to: &out, maxDepth: 128) }
        }
        #expect(out.count == 0)
    }

    /// Every event of the labelled corpus, both ways: thousands of real shapes, PII in every position.
    @Test func matchesTheTreeOnTheCorpus() throws {
        let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/redaction/dev-corpus.jsonl")
        let text = try String(contentsOf: corpus, encoding: .utf8)
        var checked = 0
        for line in text.split(separator: "\n") {
            guard let event = try JSONParser.parse(String(line))["event"] else { continue }
            try expectSame(event.jsonText)
            checked += 1
        }
        #expect(checked >= 5000)
    }
}
