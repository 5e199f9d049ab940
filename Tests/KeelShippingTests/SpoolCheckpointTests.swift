import Testing

@testable import KeelShipping

/// The checkpoint's two slots: the newest whole one is read, a torn one falls back to the other (a batch sent twice,
/// never one lost), and the single record of earlier versions still reads.
@Suite struct SpoolCheckpointTests {
    /// The file after writing `positions` in turn.
    func file(_ positions: [SpoolPosition]) -> [UInt8] {
        var bytes: [UInt8] = []
        for (sequence, position) in positions.enumerated() {
            let (slot, offset) = SpoolCheckpoint.slot(position, sequence: UInt64(sequence))
            if bytes.count < offset + slot.count { bytes += [UInt8](repeating: 0, count: offset + slot.count - bytes.count) }
            bytes.replaceSubrange(offset..<(offset + slot.count), with: slot)
        }
        return bytes
    }

    @Test func theNewestSlotIsRead() {
        let positions = [SpoolPosition(segment: 1, offset: 100), SpoolPosition(segment: 1, offset: 250), SpoolPosition(segment: 2, offset: 7)]
        #expect(SpoolCheckpoint.read(file(Array(positions.prefix(1))))?.position == positions[0])
        #expect(SpoolCheckpoint.read(file(Array(positions.prefix(2))))?.position == positions[1])
        #expect(SpoolCheckpoint.read(file(positions))?.position == positions[2])
        #expect(SpoolCheckpoint.read(file(positions))?.sequence == 2)
    }

    @Test func aTornSlotFallsBackToTheOtherAndTwoTornSlotsReadAsNone() {
        var bytes = file([SpoolPosition(segment: 3, offset: 10), SpoolPosition(segment: 3, offset: 20)])
        bytes[SpoolCheckpoint.slotSize + 17] ^= 0xFF  // the newest slot's offset, half-written
        #expect(SpoolCheckpoint.read(bytes)?.position == SpoolPosition(segment: 3, offset: 10))
        bytes[3] ^= 0x01
        #expect(SpoolCheckpoint.read(bytes) == nil)
        #expect(SpoolCheckpoint.read([]) == nil)
        #expect(SpoolCheckpoint.read(Array(bytes.prefix(40))) == nil)
    }

    @Test func aNegativeOffsetIsNotAPosition() {
        var bytes = file([SpoolPosition(segment: 1, offset: 5)])
        // A slot whose numbers agree with its sum but whose offset is negative (written by nothing Keel runs).
        let (slot, _) = SpoolCheckpoint.slot(SpoolPosition(segment: 1, offset: -1), sequence: 9)
        bytes += slot
        #expect(SpoolCheckpoint.read(bytes)?.position == SpoolPosition(segment: 1, offset: 5))
    }

    @Test func theSingleRecordOfEarlierVersionsStillReads() {
        // segment 4, offset 1234, and the FNV-1a sum of their little-endian bytes, as version 1 wrote them.
        var bytes: [UInt8] = []
        withUnsafeBytes(of: UInt64(4).littleEndian) { bytes += $0 }
        withUnsafeBytes(of: Int64(1234).littleEndian) { bytes += $0 }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        withUnsafeBytes(of: UInt32(truncatingIfNeeded: hash ^ (hash >> 32)).littleEndian) { bytes += $0 }
        #expect(SpoolCheckpoint.read(bytes)?.position == SpoolPosition(segment: 4, offset: 1234))
        bytes[0] ^= 1
        #expect(SpoolCheckpoint.read(bytes) == nil)
    }
}
