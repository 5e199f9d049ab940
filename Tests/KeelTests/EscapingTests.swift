import Foundation
@testable import Keel
import KeelTesting
import Logging
import Testing

struct EscapingTests {
    @Test(arguments: 0x00..<0x20)
    func everyControlCharacterIsEscapedAndRoundTrips(_ code: Int) throws {
        let text = "a\(Character(Unicode.Scalar(UInt8(code))))b"
        let logging = TestLogging()
        logging.logger().info("\(text)", metadata: ["k\(Character(Unicode.Scalar(UInt8(code))))": "\(text)"])
        let line = try #require(logging.sink.lines.first)
        let bytes = Array(line.utf8)
        #expect(bytes.last == 0x0A)
        #expect(!bytes.dropLast().contains { $0 < 0x20 }, "raw control byte in line")
        let event = try parseWithFoundation(line)
        #expect(event["message"] as? String == text)
        let context = try #require(event["context"] as? [String: Any])
        #expect(context["k\(Character(Unicode.Scalar(UInt8(code))))"] as? String == text)
    }

    @Test func quotesBackslashesAndSeparatorsRoundTrip() throws {
        let text = #"say "hi" \ back\slash / \u0041 \n literal"# + "\u{7F}\u{85}\u{9B}\u{2028}\u{2029}é中😀"
        var out = OutputBuffer()
        defer { out.deallocate() }
        out.appendJSONString(text)
        let json = String(decoding: out.bytes, as: UTF8.self)
        #expect(json.contains(#"\u007f"#))
        #expect(json.contains(#"\u0085"#))
        #expect(json.contains(#"\u009b"#))
        #expect(json.contains(#"\u2028"#))
        #expect(json.contains(#"\u2029"#))
        #expect(json.contains("é中😀"), "printable non-ASCII is written as UTF-8, not escaped")
        let parsed = try JSONSerialization.jsonObject(with: Data(json.utf8), options: .fragmentsAllowed) as? String
        #expect(parsed == text)
    }

    @Test func ansiSequencesCannotReachATerminal() throws {
        let attack = "ok\u{1B}[2J\u{1B}[31mFAKE ERROR\u{1B}[0m\r\nINFO forged line\u{9B}31m"
        let logging = TestLogging()
        logging.logger().warning("\(attack)", metadata: ["user_agent": "\(attack)"])
        let line = try #require(logging.sink.lines.first)
        #expect(!line.utf8.contains(0x1B))
        #expect(!line.unicodeScalars.contains("\u{9B}"))
        #expect(line.utf8.filter { $0 == 0x0A }.count == 1, "one event, one line")
        #expect(try parseWithFoundation(line)["message"] as? String == attack)
        // The text renderer shows it without control characters either.
        let rendered = TextRenderer(colour: false).render(line: line)
        #expect(!rendered.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) })
    }

    /// "Trojan Source": bidirectional overrides and isolates reorder what a terminal shows. They are rendered as
    /// escapes, so an operator reads the characters in the order they were written.
    @Test func bidirectionalControlsAreShownAsEscapes() {
        let controls: [Unicode.Scalar] = ["\u{202A}", "\u{202B}", "\u{202C}", "\u{202D}", "\u{202E}", "\u{2066}", "\u{2067}", "\u{2068}", "\u{2069}", "\u{200E}", "\u{200F}", "\u{061C}"]
        for control in controls {
            let line = "{\"level\":\"INFO\",\"message\":\"access granted \(control)denied\"}"
            let rendered = TextRenderer(colour: false).render(line: line)
            #expect(!rendered.unicodeScalars.contains(control), "U+\(String(control.value, radix: 16)) shown raw")
            #expect(rendered.contains("\\u{\(String(control.value, radix: 16, uppercase: true))}"), "\(rendered)")
        }
        #expect(TextRenderer.sanitise("plain café 中文 😀") == "plain café 中文 😀")
    }

    @Test func invalidUTF8FromBytesIsReplaced() throws {
        var out = OutputBuffer()
        defer { out.deallocate() }
        let bytes: [UInt8] = [0x66, 0xFF, 0x6F, 0xC3, 0x28, 0xE2, 0x82, 0x22, 0xED, 0xA0, 0x80]
        bytes.withUnsafeBytes { out.appendJSONString(unvalidated: $0) }
        let json = String(decoding: out.bytes, as: UTF8.self)
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(out.bytes), options: .fragmentsAllowed) as? String)
        #expect(parsed.hasPrefix("f\u{FFFD}o\u{FFFD}("))
        #expect(parsed.contains("\""))
        #expect(String(validating: out.bytes, as: UTF8.self) != nil, "output is valid UTF-8: \(json)")
    }

    @Test func cutStringsNeverSplitACharacter() throws {
        var out = OutputBuffer()
        defer { out.deallocate() }
        let text = String(repeating: "é", count: 10)  // 2 bytes each
        let cut = out.appendJSONString(text, limit: 5)
        #expect(cut)
        let parsed = try JSONSerialization.jsonObject(with: Data(out.bytes), options: .fragmentsAllowed) as? String
        #expect(parsed == "éé…")
    }

    @Test func everySpecialCharacterIsFoundAtEveryPositionOfALongString() throws {
        let specials: [Character] = ["\"", "\\", "\u{00}", "\u{1F}", "\n", "\u{7F}", "\u{1B}", "\u{85}", "\u{2028}", "é"]
        for special in specials {
            for position in 0..<40 {
                var text = String(repeating: "abcdefgh", count: 5)
                let index = text.index(text.startIndex, offsetBy: position)
                text.replaceSubrange(index...index, with: String(special))
                var out = OutputBuffer()
                defer { out.deallocate() }
                out.appendJSONString(text)
                #expect(!out.bytes.contains { $0 < 0x20 || $0 == 0x7F }, "raw control byte for \(special.debugDescription) at \(position)")
                let parsed = try JSONSerialization.jsonObject(with: Data(out.bytes), options: .fragmentsAllowed) as? String
                #expect(parsed == text, "\(special.debugDescription) at \(position)")
            }
        }
    }

    @Test func numbersAreShortestExactAndJSON() throws {
        let cases: [(Double, String)] = [
            (12.5, "12.5"), (0.1, "0.1"), (-0.001, "-0.001"), (200, "200"), (123456.789, "123456.789"),
            (0.0005, "0.0005"), (1e-7, "1e-07"), (2.675, "2.675"), (1e20, "1e+20"), (-3.25, "-3.25"),
            (0.3, "0.3"), (1.0 / 3.0, "0.3333333333333333"), (999_999_999_999.999, "999999999999.999"),
        ]
        for (value, text) in cases {
            var out = OutputBuffer()
            defer { out.deallocate() }
            out.appendJSONNumber(value)
            let written = String(decoding: out.bytes, as: UTF8.self)
            #expect(written == text, "\(value)")
            #expect(Double(written) == value, "\(written) must read back as \(value)")
        }
    }
}
