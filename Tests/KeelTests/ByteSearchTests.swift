@testable import Keel
import Testing

/// Byte comparisons and searches: line filters match bytes, as Loki's do, everywhere in the line, in any script.
struct ByteSearchTests {
    /// Keys and values are compared as words when short: every length, a difference at every place.
    @Test func bytesAreTheSameExactlyWhenEveryByteIs() {
        for count in 0...40 {
            let a = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            a.withUnsafeBufferPointer { a in
                let copy = Array(a)
                #expect(ByteSearch.equal(a, copy))
                for place in 0..<count {
                    var other = copy
                    other[place] ^= 0x20
                    #expect(!ByteSearch.equal(a, other), "\(count) bytes, differing at \(place)")
                }
                #expect(!ByteSearch.equal(a, copy + [0]))
            }
        }
    }

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
