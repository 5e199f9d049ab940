/// The bytes of a spool's checkpoint file: where the server's acknowledgements have reached. Two 32-byte slots,
/// written in turn (`[sequence: u64][segment: u64][offset: i64][sum: u32][0: u32]`, little-endian), each with a
/// checksum of its numbers: a write torn by a crash damages one slot, and the other — one acknowledgement older — is
/// read, so at worst a batch is sent twice. The file is never fsync'd for this: a checkpoint that lags behind sends
/// batches again, it never loses one.
package enum SpoolCheckpoint {
    package static let slotSize = 32

    /// The slot to write for `position` as the `sequence`-th checkpoint, and where in the file it goes.
    package static func slot(_ position: SpoolPosition, sequence: UInt64) -> (bytes: [UInt8], offset: Int) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(slotSize)
        let offset = Int64(position.offset)
        withUnsafeBytes(of: sequence.littleEndian) { bytes += $0 }
        withUnsafeBytes(of: position.segment.littleEndian) { bytes += $0 }
        withUnsafeBytes(of: offset.littleEndian) { bytes += $0 }
        withUnsafeBytes(of: sum(sequence, position.segment, UInt64(bitPattern: offset)).littleEndian) { bytes += $0 }
        bytes += [0, 0, 0, 0]
        return (bytes, Int(sequence % 2) * slotSize)
    }

    /// The newest whole slot of a checkpoint file's bytes, or `nil` when neither is whole (everything is sent again).
    /// Also reads the single 20-byte record earlier versions wrote.
    package static func read(_ bytes: [UInt8]) -> (position: SpoolPosition, sequence: UInt64)? {
        if bytes.count == 20 {
            let segment = load(UInt64.self, bytes, 0)
            let offset = load(Int64.self, bytes, 8)
            guard UInt32(truncatingIfNeeded: load(UInt64.self, bytes + [0, 0, 0, 0], 16)) == legacySum(segment, offset), offset >= 0 else {
                return nil
            }
            return (SpoolPosition(segment: segment, offset: Int(offset)), 0)
        }
        var newest: (position: SpoolPosition, sequence: UInt64)?
        for start in stride(from: 0, to: min(bytes.count, 2 * slotSize) - slotSize + 1, by: slotSize) {
            let sequence = load(UInt64.self, bytes, start)
            let segment = load(UInt64.self, bytes, start + 8)
            let offset = load(Int64.self, bytes, start + 16)
            let stored = UInt32(truncatingIfNeeded: load(UInt64.self, bytes, start + 24))
            guard stored == sum(sequence, segment, UInt64(bitPattern: offset)), offset >= 0, Int(exactly: offset) != nil else { continue }
            if newest == nil || sequence > newest!.sequence { newest = (SpoolPosition(segment: segment, offset: Int(offset)), sequence) }
        }
        return newest
    }

    private static func load<T: FixedWidthInteger>(_ type: T.Type, _ bytes: [UInt8], _ at: Int) -> T {
        bytes.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: at, as: T.self)) }
    }

    /// FNV-1a over the numbers, folded to 32 bits.
    private static func sum(_ values: UInt64...) -> UInt32 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for value in values {
            for shift in stride(from: 0, to: 64, by: 8) { hash = (hash ^ (value >> UInt64(shift) & 0xFF)) &* 0x100_0000_01b3 }
        }
        return UInt32(truncatingIfNeeded: hash ^ (hash >> 32))
    }

    private static func legacySum(_ segment: UInt64, _ offset: Int64) -> UInt32 { sum(segment, UInt64(bitPattern: offset)) }
}
