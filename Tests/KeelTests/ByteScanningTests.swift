@testable import Keel
import Testing

/// The scanning primitives the detectors stand on: a wrong answer here is a missed secret, so they are checked
/// against the obvious byte-by-byte definition.
struct ByteScanningTests {
    private func withBytes<R>(_ bytes: [UInt8], _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        bytes.withUnsafeBufferPointer(body)
    }

    @Test func nextDigitFindsEveryDigitAndSkipsLookAlikeBytes() {
        // Bytes whose low seven bits are digits (0xB0–0xB9 appear inside UTF-8 sequences) are not digits.
        var bytes: [UInt8] = Array("abc".utf8) + [0xB5, 0xB0, 0xC2, 0xB9] + Array("xyz/:".utf8)
        bytes += Array(repeating: UInt8(ascii: "q"), count: 17) + Array("7 then 42".utf8)
        withBytes(bytes) { s in
            var expected: [Int] = []
            for i in 0..<s.count where ByteClass.isDigit(s[i]) { expected.append(i) }
            var found: [Int] = []
            var i = s.nextDigit(from: 0)
            while i < s.count {
                found.append(i)
                i = s.nextDigit(from: i + 1)
            }
            #expect(found == expected)
            for start in 0...s.count {
                let reference = (start..<s.count).first { ByteClass.isDigit(s[$0]) } ?? s.count
                #expect(s.nextDigit(from: start) == reference, "from \(start)")
            }
        }
        withBytes([]) { #expect($0.nextDigit(from: 0) == 0) }
    }

    @Test func nextByteMatchesALinearSearch() {
        let bytes = Array("user=ann; token=abc; x=1 = end=".utf8)
        withBytes(bytes) { s in
            for start in 0...s.count {
                let reference = (start..<s.count).first { s[$0] == UInt8(ascii: "=") } ?? s.count
                #expect(s.next(UInt8(ascii: "="), from: start) == reference)
                #expect(s.next(UInt8(ascii: "#"), from: start) == s.count)
            }
        }
    }

    /// The byte pass counts in 9-bit lanes over chunks of 511 bytes: counts must add up across chunks.
    @Test func featureCountsAddUpAcrossChunks() {
        let unit = Array("ab:C.-1".utf8)  // one each of colon, upper, dot, dash, digit
        for repeats in [1, 72, 73, 511, 600, 2000] {
            let bytes = Array([[UInt8]](repeating: unit, count: repeats).joined())
            withBytes(bytes) { s in
                let features = ByteFeatures(s)
                #expect(features.count == bytes.count)
                #expect(features.digits == repeats && features.colons == repeats && features.dots == repeats)
                #expect(features.uppers == repeats && features.dashes == repeats, "\(repeats)")
            }
        }
    }

    /// Detectors gated by counts still fire when what they need is far into a long string.
    @Test func detectorsFindValuesDeepInLongText() {
        let padding = String(repeating: "lorem ipsum dolor ", count: 400)
        let redactor = StringRedactor()
        for (value, type) in [
            ("2001:db8::8a2e:370:7334", RedactionType.ipv6), ("36.26.117.70", .ipv4), ("+44 20 7946 0958", .phone),
            ("4111 1111 1111 1111", .creditCard), ("GB82 WEST 1234 5698 7654 32", .iban), ("459-11-2641", .usSSN),
            ("AKIAIOSFODNN7EXAMPLE", .awsAccessKey), ("ann@example.com", .email),
        ] {
            let result = redactor.redact(padding + value + " " + padding)
            #expect(result?.types == [type], "\(value)")
            #expect(result?.text.contains(value) == false, "\(value)")
        }
    }
}
