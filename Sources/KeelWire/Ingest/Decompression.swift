import CSnappy
import CZlib

/// Decompresses request bodies within a size budget, so a small body cannot expand into gigabytes (a decompression
/// bomb): output stops, and the request is refused, as soon as it passes `maxBytes` or `maxRatio` × the input size.
enum Decompression {
    /// The bound for `input` bytes under `limits`.
    static func budget(_ input: Int, _ limits: IngestLimits) -> Int {
        let ratio = input.multipliedReportingOverflow(by: limits.maxInflateRatio)
        return min(limits.maxDecompressedBytes, max(1 << 16, ratio.overflow ? .max : ratio.partialValue))
    }

    static func bomb(_ limit: Int) -> IngestError {
        .tooLarge("decompressed_too_large", "the body decompresses to more than \(limit) bytes")
    }

    /// gzip, zlib or raw deflate (`Content-Encoding: gzip` / `deflate`) with the system zlib. HTTP's `deflate` is
    /// zlib-wrapped, but many clients send raw deflate under that name; a body that has neither header is read as
    /// raw deflate.
    static func inflate(_ input: [UInt8], limits: IngestLimits) throws(IngestError) -> [UInt8] {
        let gzip = input.count >= 2 && input[0] == 0x1F && input[1] == 0x8B
        // A zlib header: method 8 (deflate) in the low nibble, and the first two bytes a multiple of 31 (RFC 1950).
        let zlib = input.count >= 2 && input[0] & 0x0F == 8 && (Int(input[0]) << 8 | Int(input[1])) % 31 == 0
        let wrapped = gzip || zlib
        // windowBits 15 + 32: detect a gzip or a zlib header; -15: no header at all.
        return try inflate(input, windowBits: wrapped ? 15 + 32 : -15, limits: limits)
    }

    private static func inflate(_ input: [UInt8], windowBits: Int32, limits: IngestLimits) throws(IngestError) -> [UInt8] {
        let limit = budget(input.count, limits)
        var stream = z_stream()
        guard inflateInit2_(&stream, windowBits, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw .badRequest("invalid_compression", "zlib could not start")
        }
        defer { inflateEnd(&stream) }
        // Reserved whole: pages are resident only once written, and the output never moves, so a body that
        // inflates to the limit costs the limit, not the limit and a doubled copy.
        var output: [UInt8] = []
        output.reserveCapacity(limit)
        let chunk = 64 * 1024
        var buffer = [UInt8](repeating: 0, count: chunk)
        var input = input
        let status: Int32 = input.withUnsafeMutableBufferPointer { inBytes in
            stream.next_in = inBytes.baseAddress
            stream.avail_in = UInt32(clamping: inBytes.count)
            while true {
                let result: Int32 = buffer.withUnsafeMutableBufferPointer { out in
                    stream.next_out = out.baseAddress
                    stream.avail_out = UInt32(chunk)
                    return CZlib.inflate(&stream, Z_NO_FLUSH)
                }
                let produced = chunk - Int(stream.avail_out)
                if output.count + produced > limit { return -100 }
                output += buffer[0..<produced]
                switch result {
                case Z_STREAM_END: return Z_STREAM_END
                case Z_OK: if stream.avail_in == 0 && produced == 0 { return Z_BUF_ERROR }
                default: return result
                }
            }
        }
        switch status {
        case Z_STREAM_END: return output
        case -100: throw bomb(limit)
        case Z_BUF_ERROR: throw .badRequest("invalid_compression", "the compressed body is truncated")
        default: throw .badRequest("invalid_compression", "the body is not valid gzip or deflate data")
        }
    }

    /// Snappy's block format (what Loki's protobuf push bodies use), by the system's libsnappy: the length it
    /// announces is checked against the limits before anything is allocated, and the data is validated whole.
    static func unsnappy(_ input: [UInt8], limits: IngestLimits) throws(IngestError) -> [UInt8] {
        let invalid = IngestError.badRequest("invalid_compression", "the body is not valid snappy data")
        var length = 0
        let read = input.withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { snappy_uncompressed_length($0.baseAddress, $0.count, &length) }
        }
        guard read == SNAPPY_OK else { throw invalid }
        let limit = budget(input.count, limits)
        guard length <= limit else { throw bomb(limit) }
        var produced = length
        var status = SNAPPY_OK
        let output = [UInt8](unsafeUninitializedCapacity: length) { buffer, count in
            status = input.withUnsafeBufferPointer { bytes in
                bytes.withMemoryRebound(to: CChar.self) { source in
                    buffer.withMemoryRebound(to: CChar.self) { snappy_uncompress(source.baseAddress, source.count, $0.baseAddress, &produced) }
                }
            }
            count = status == SNAPPY_OK ? produced : 0
        }
        guard status == SNAPPY_OK, output.count == length else { throw invalid }
        return output
    }
}
