import Foundation
import Keel
import Testing

/// The redaction engine on JSON text (`Redactor.redactJSON`, bytes in, bytes out), and its value form
/// (`Redactor.redact`), which must give the same.
@Suite struct RedactionEngineTests {
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

    /// What the engine writes for each shape of JSON, and what it says it removed.
    @Test func redactsEveryShape() throws {
        let cases: [(line: String, redacted: String, types: [RedactionType])] = [
            (
                #"{"msg":"mail ann@example.com now","n":1,"ok":true,"none":null}"#,
                #"{"msg":"mail [REDACTED:EMAIL] now","n":1,"ok":true,"none":null}"#,
                [.email]
            ),
            (
                #"  { "a" : [ 1 , 2.5e3 , -0 , "x" ] ,"b":{ } , "c":[ ] }  "#,
                #"{"a":[1,2.5e3,-0,"x"],"b":{},"c":[]}"#,
                []
            ),
            // Secrets of every type; a null secret stays null.
            (
                #"{"password":"hunter22","api_key":12345,"token":{"a":[1,2]},"secret":null,"Authorization":["Bearer abc"]}"#,
                #"{"password":"[REDACTED:SECRET]","api_key":"[REDACTED:SECRET]","token":"[REDACTED:SECRET]","secret":null,"Authorization":"[REDACTED:SECRET]"}"#,
                [.secret]
            ),
            // Bodies of every type, nested and in arrays.
            (
                #"{"body":"{\"card\":\"4111 1111 1111 1111\"}","x":[{"payload":{"k":[1,"v"]}},{"content":null}],"messages":[1,2]}"#,
                #"{"body":{"redacted":"BODY","bytes":30,"sha256":"46c7b2a8"},"x":[{"payload":{"redacted":"BODY","bytes":13,"sha256":"dd763efc"}},{"content":null}],"messages":{"redacted":"BODY","bytes":5,"sha256":"49a64717"}}"#,
                [.body]
            ),
            // Escapes, unicode escapes, surrogate pairs, a lone surrogate (repaired) and escaped detector triggers.
            (
                #"{"m":"line\nbreak \"q\" \u00e9 \ud83d\ude00 \ud800 x","e":"mail\u0040example.com is ann\u0040example.com","t\u006fken":"abc"}"#,
                #"{"m":"line\nbreak \"q\" é 😀 � x","e":"[REDACTED:EMAIL] is [REDACTED:EMAIL]","token":"[REDACTED:SECRET]"}"#,
                [.email, .secret]
            ),
            // Keys are redacted too; a key with an email and a key that is a secret name with escapes.
            (
                #"{"ann@example.com":1,"pass\u0077ord":"x"}"#,
                #"{"[REDACTED:EMAIL]":1,"password":"[REDACTED:SECRET]"}"#,
                [.email, .secret]
            ),
            // Card numbers as JSON numbers (Luhn-valid and not), and as strings.
            (
                #"{"c":4111111111111111,"d":4111111111111112,"e":"4111-1111-1111-1111","f":1.5,"g":-4111111111111111}"#,
                #"{"c":"[REDACTED:CREDIT_CARD]","d":4111111111111112,"e":"[REDACTED:CREDIT_CARD]","f":1.5,"g":-4111111111111111}"#,
                [.creditCard]
            ),
            // Non-ASCII text, and control characters, DEL, C1 and U+2028 (raw or escaped in the input) written escaped.
            (
                "{\"name\":\"Zoë Ünal — +44 20 7946 0958\",\"c\":\"a\\u0001b\",\"d\":\"\u{7F}\u{85}\u{2028}\"}",
                #"{"name":"Zoë Ünal — [REDACTED:PHONE]","c":"a\u0001b","d":"\u007f\u0085\u2028"}"#,
                [.phone]
            ),
            // A raw DEL before the closing quote, and an escape only in a later string.
            (
                "{\"a\":\"x\u{7F}y ann@example.com\",\"b\":\"line\\nbreak\"}",
                #"{"a":"x\u007fy [REDACTED:EMAIL]","b":"line\nbreak"}"#,
                [.email]
            ),
            (
                #"["top","level",{"array":true}]"#,
                #"["top","level",{"array":true}]"#,
                []
            ),
            (
                #""just a string with 10.0.0.1""#,
                #""just a string with [REDACTED:IPV4]""#,
                [.ipv4]
            ),
            (
                "42",
                "42",
                []
            ),
            (
                "null",
                "null",
                []
            ),
        ]
        for (line, redacted, types) in cases {
            let r = try bothWays(line)
            #expect(r.stream == redacted, "\(line)")
            #expect(r.streamTypes == types, "\(line)")
            // The value form is the same engine on the value's text.
            #expect(r.tree == redacted, "\(line)")
            #expect(r.treeTypes == types, "\(line)")
        }
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

    /// An allow-listed path keeps its value whole (a body, a secret's name, an email inside it); its own key is still
    /// redacted, as every key outside allow-listed values is.
    @Test func allowListedPathsKeepTheirValues() throws {
        var policy = RedactionPolicy()
        policy.allowedPaths = ["user.email", "x[0].payload", "m"]
        let redactor = Redactor(policy: policy)
        let cases: [(line: String, redacted: String)] = [
            (
                #"{"user":{"email":"ann@example.com","other":"bob@example.com"}}"#,
                #"{"user":{"email":"ann@example.com","other":"[REDACTED:EMAIL]"}}"#
            ),
            (
                #"{"x":[{"payload":{"k":[1,"v"],"password":"p"}},{"payload":"b"}],"m":{"ann@example.com":"ann@example.com"}}"#,
                #"{"x":[{"payload":{"k":[1,"v"],"password":"p"}},{"payload":{"redacted":"BODY","bytes":1,"sha256":"3e23e816"}}],"m":{"ann@example.com":"ann@example.com"}}"#
            ),
        ]
        for (line, redacted) in cases {
            let r = try bothWays(line, redactor)
            #expect(r.stream == redacted)
            #expect(r.tree == redacted)
        }
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
