import CIsal

/// One record of a spool segment: `[length: u32 LE][crc32: u32 LE][class: u8][line]`, the CRC-32 (zlib's values,
/// computed by ISA-L, several times faster on lines of a few hundred bytes) over the class and the line. A record
/// never spans segment files, so a segment reads alone.
package enum SpoolRecord {
    package static let headerSize = 9

    /// The framed record of `line`.
    package static func frame(_ line: UnsafeRawBufferPointer, storageClass: UInt8) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: headerSize + line.count)
        let length = UInt32(truncatingIfNeeded: line.count)
        out[8] = storageClass
        out.withUnsafeMutableBytes { bytes in
            if let base = line.baseAddress, line.count > 0 {
                (bytes.baseAddress! + headerSize).copyMemory(from: base, byteCount: line.count)
            }
            bytes.storeBytes(of: length.littleEndian, toByteOffset: 0, as: UInt32.self)
            let sum = checksum(UnsafeRawBufferPointer(rebasing: bytes[8...]))
            bytes.storeBytes(of: sum.littleEndian, toByteOffset: 4, as: UInt32.self)
        }
        return out
    }

    /// A record read back: where it starts, its storage class and its line's bytes in the buffer.
    package struct Read {
        package let offset: Int
        package let storageClass: UInt8
        package let line: Range<Int>
        /// Where the next record starts.
        package var end: Int { line.upperBound }
    }

    /// The records of `bytes` from `offset`, in order, until the end, `body` returning `false`, or damage: a length
    /// past the end (a torn write) or a checksum that does not match. Returns where the last whole record ends and
    /// whether damage stopped it.
    @discardableResult
    package static func scan(_ bytes: UnsafeRawBufferPointer, from offset: Int, _ body: (Read) -> Bool) -> (end: Int, damaged: Bool) {
        var at = offset
        while at < bytes.count {
            guard bytes.count - at >= headerSize else { return (at, true) }
            let length = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self)))
            let stored = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: at + 4, as: UInt32.self))
            guard length <= bytes.count - at - headerSize else { return (at, true) }
            let record = UnsafeRawBufferPointer(rebasing: bytes[(at + 8)..<(at + headerSize + length)])
            guard checksum(record) == stored else { return (at, true) }
            let read = Read(offset: at, storageClass: bytes[at + 8], line: (at + headerSize)..<(at + headerSize + length))
            at = read.end
            if !body(read) { break }
        }
        return (at, false)
    }

    package static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return 0 }
        return crc32_gzip_refl(0, base.assumingMemoryBound(to: UInt8.self), UInt64(bytes.count))
    }
}
