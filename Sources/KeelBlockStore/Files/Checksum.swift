import CZlib

/// CRC-32 (zlib's) of `parts`, one after the other: the checksum of every block, block file and log record.
func checksum(_ parts: ArraySlice<UInt8>...) -> UInt32 {
    var value = crc32(0, nil, 0)
    for part in parts {
        value = part.withUnsafeBufferPointer { crc32(value, $0.baseAddress, UInt32($0.count)) }
    }
    return UInt32(truncatingIfNeeded: value)
}
