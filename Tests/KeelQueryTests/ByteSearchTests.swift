@testable import KeelQuery
import Testing

/// Line filters match bytes, as Loki's do: everywhere in the line, in any script.
struct ByteSearchTests {
    @Test func findsTheNeedleWhereverItIs() {
        let cases: [(String, String, Bool)] = [
            ("timeout at start", "timeout", true), ("ends in timeout", "timeout", true), ("a timeout here", "timeout", true),
            ("aaab", "aab", true), ("aaa", "aab", false), ("short", "longer than the line", false), ("anything", "", true),
            ("Zoë Ünal — timeout", "Ünal —", true), ("Zoë", "Zoe", false), ("case", "CASE", false), ("", "x", false),
        ]
        for (line, needle, expected) in cases {
            var line = line
            #expect(line.withUTF8 { ByteSearch.contains($0, Array(needle.utf8)) } == expected, "\(needle) in \(line)")
        }
    }
}
