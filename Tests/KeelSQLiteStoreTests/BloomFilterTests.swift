@testable import KeelSQLiteStore
import KeelStore
import Testing

@Suite struct BloomFilterTests {
    @Test func noFalseNegativesFewFalsePositivesAndAStableEncoding() throws {
        var filter = BloomFilter(capacity: 4096)
        for n in 0..<4096 { filter.insert(.init(.requestID, "req-\(n)")) }
        #expect((0..<4096).allSatisfy { filter.mightContain(.init(.requestID, "req-\($0)")) })
        let falsePositives = (0..<10_000).filter { filter.mightContain(.init(.requestID, "other-\($0)")) }.count
        #expect(falsePositives < 300, "\(falsePositives) of 10,000 (designed for ~1 %)")
        #expect(!filter.mightContain(.init(.traceID, "req-1")) || !filter.mightContain(.init(.traceID, "req-2")), "fields are apart")
        let decoded = try #require(BloomFilter(bytes: filter.bytes))
        #expect(decoded == filter)
        #expect(BloomFilter(bytes: []) == nil)
        #expect(BloomFilter(bytes: [1, 2, 3]) == nil)
        // Words are stored little-endian: the layout of every filter already on disk.
        let stored: [UInt8] = [0x01, 0, 0, 0, 0, 0, 0, 0x02, 0, 0, 0, 0, 0, 0, 0, 0x80]
        #expect(BloomFilter(bytes: stored)?.words == [0x0200_0000_0000_0001, 0x8000_0000_0000_0000])
        #expect(BloomFilter(bytes: stored)?.bytes == stored)
    }

    /// A probe sets bits `(h1 + i·h2) mod m`, i = 0…6: the positions of every filter already on disk, whatever
    /// way they are computed. Checked against the formula for filters of many sizes and probes of every kind.
    @Test func aProbeSetsTheBitsOfTheFormulaOnDisk() {
        var generator = SystemRandomNumberGenerator()
        for words in [1, 2, 3, 7, 64, 1_000, 12_345] {
            let m = UInt64(words * 64)
            for _ in 0..<200 {
                let packed = UInt64.random(in: 0...UInt64.max, using: &generator)
                let probe = BloomFilter.Probe(packed: packed)
                var expected = [UInt64](repeating: 0, count: words)
                for i in 0..<UInt64(7) {
                    let bit = ((packed & 0xFFFF_FFFF) &+ i &* (packed >> 32)) % m
                    expected[Int(bit / 64)] |= 1 << (bit % 64)
                }
                var filter = BloomFilter(capacity: words * 64 / 10)
                #expect(filter.words.count == words)
                filter.insert(probe)
                #expect(filter.words == expected, "\(words) words, probe \(packed)")
                #expect(filter.mightContain(probe))
            }
        }
    }

    @Test func theHashIsTheSameInEveryProcess() {
        // Fixed values: filters and dedupe keys on disk depend on them never changing.
        var hash = StableHash()
        hash.add("request_id")
        hash.add("abc")
        #expect(hash.value == 0x040b_98c9_647b_184e, "computed independently (FNV-1a 64 with separators, then the avalanche)")
        #expect(Partition.dedupeKey("01a20888-aae3-735c-a0b7-680000000013") >= 0)
    }
}
