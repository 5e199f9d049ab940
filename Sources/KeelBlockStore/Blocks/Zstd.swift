import CZstd

/// zstd through the system libzstd: a block's columns are compressed as one frame.
enum Zstd {
    /// `input` compressed at `level` (1–19; 3 is zstd's default: most of the ratio at a fraction of the time).
    static func compress(_ input: [UInt8], level: Int32 = 3) throws(BlockError) -> [UInt8] {
        let bound = ZSTD_compressBound(input.count)
        var output = [UInt8](repeating: 0, count: bound)
        let written = input.withUnsafeBytes { source in
            output.withUnsafeMutableBytes { target in
                ZSTD_compress(target.baseAddress, bound, source.baseAddress, source.count, level)
            }
        }
        guard ZSTD_isError(written) == 0 else { throw .compression(String(cString: ZSTD_getErrorName(written))) }
        output.removeLast(output.count - written)
        return output
    }

    /// `input` decompressed, which must be exactly `size` bytes: a frame that says otherwise is corrupt.
    static func decompress(_ input: ArraySlice<UInt8>, size: Int) throws(BlockError) -> [UInt8] {
        // Written by zstd straight into the array, not zeroed first; a frame that decompresses to less (or fails)
        // leaves the array empty.
        var read = 0
        let output = [UInt8](unsafeUninitializedCapacity: size) { target, filled in
            read = input.withUnsafeBytes { source in ZSTD_decompress(target.baseAddress, size, source.baseAddress, source.count) }
            filled = ZSTD_isError(read) == 0 && read == size ? size : 0
        }
        guard ZSTD_isError(read) == 0, read == size else { throw .corrupt("the columns do not decompress to their recorded size") }
        return output
    }
}
