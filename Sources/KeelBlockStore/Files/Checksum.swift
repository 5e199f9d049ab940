import CIsal

/// CRC-32 of `parts`, one after the other: the checksum of every block, block file and log record. It is zlib's
/// CRC-32 (the same values), computed by ISA-L, which reads a head-log record of a few hundred bytes several times
/// faster: every acknowledged event's line passes through it.
func checksum(_ parts: ArraySlice<UInt8>...) -> UInt32 {
    var value: UInt32 = 0
    for part in parts {
        guard !part.isEmpty else { continue }
        value = part.withUnsafeBufferPointer { crc32_gzip_refl(value, $0.baseAddress, UInt64($0.count)) }
    }
    return value
}
