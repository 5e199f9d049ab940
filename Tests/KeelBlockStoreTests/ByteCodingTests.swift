@testable import KeelBlockStore
import Testing

/// What blocks are read with: every count and length is checked against what is left, so damaged bytes are
/// refused, never read past.
struct ByteCodingTests {
    @Test func dataIsTheBytesItsLengthSaysAndNoMore() throws {
        var whole = ByteReader([2, 0x41, 0x42, 0x43])
        #expect(try whole.data() == 1..<3)
        #expect(try whole.byte() == 0x43)
        // A length that counts the bytes of the length itself, or more, runs past the end.
        var short = ByteReader([3, 0x41, 0x42])
        #expect(throws: BlockError.self) { try short.data() }
        var long = ByteReader([0x80, 0x01, 0x41])
        #expect(throws: BlockError.self) { try long.data() }
    }

    /// A head log record's length is written before its body, from the lengths its numbers will take.
    @Test func varintLengthsAreWhatIsWritten() throws {
        for value: Int64 in [0, 1, -1, 63, 64, -64, -65, 127, 128, 8_191, 8_192, 1 << 40, -(1 << 40), .max, .min, .max - 1, .min + 1] {
            var writer = ByteWriter()
            writer.varint(value)
            #expect(ByteWriter.varintLength(value) == writer.bytes.count, "\(value)")
            var reader = ByteReader(writer.bytes)
            #expect(try reader.varint() == value)
        }
        for value: UInt64 in [0, 127, 128, 16_383, 16_384, .max] {
            var writer = ByteWriter()
            writer.uvarint(value)
            #expect(ByteWriter.uvarintLength(value) == writer.bytes.count, "\(value)")
        }
    }

    @Test func lengthsBecomeStartsAndRefuseWhatCannotBe() throws {
        var writer = ByteWriter()
        for length in [1, 200, 3] { writer.uvarint(length) }
        var reader = ByteReader(writer.bytes)
        var starts: [Int32] = [7]
        #expect(try reader.lengths(3, appendingStartsTo: &starts) == 204)
        #expect(starts == [7, 0, 1, 201])
        #expect(reader.isAtEnd)
        var empty = ByteReader([1, 0])
        #expect(throws: BlockError.self) { try empty.lengths(2, appendingStartsTo: &starts) }
        var cut = ByteReader([0x80])
        #expect(throws: BlockError.self) { try cut.lengths(1, appendingStartsTo: &starts) }
    }
}
