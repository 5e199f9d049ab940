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

    /// Snappy's block format (what Loki's protobuf push bodies use): a varint length, then literals and copies.
    static func unsnappy(_ input: [UInt8], limits: IngestLimits) throws(IngestError) -> [UInt8] {
        let invalid = IngestError.badRequest("invalid_compression", "the body is not valid snappy data")
        var position = 0
        func varint() -> Int? {
            var value = 0
            var shift = 0
            while position < input.count, shift < 35 {
                let b = input[position]
                position += 1
                value |= Int(b & 0x7F) << shift
                if b & 0x80 == 0 { return value }
                shift += 7
            }
            return nil
        }
        guard let length = varint() else { throw invalid }
        let limit = budget(input.count, limits)
        guard length <= limit else { throw bomb(limit) }
        var output: [UInt8] = []
        output.reserveCapacity(length)
        while position < input.count {
            let tag = input[position]
            position += 1
            switch tag & 3 {
            case 0:  // literal
                var count = Int(tag >> 2)
                if count >= 60 {
                    let extra = count - 59
                    guard position + extra <= input.count else { throw invalid }
                    count = 0
                    for i in 0..<extra { count |= Int(input[position + i]) << (8 * i) }
                    position += extra
                }
                count += 1
                guard position + count <= input.count, output.count + count <= length else { throw invalid }
                output += input[position..<(position + count)]
                position += count
            default:  // copies
                let count: Int
                let offset: Int
                switch tag & 3 {
                case 1:
                    guard position < input.count else { throw invalid }
                    count = Int((tag >> 2) & 7) + 4
                    offset = Int(tag >> 5) << 8 | Int(input[position])
                    position += 1
                case 2:
                    guard position + 2 <= input.count else { throw invalid }
                    count = Int(tag >> 2) + 1
                    offset = Int(input[position]) | Int(input[position + 1]) << 8
                    position += 2
                default:
                    guard position + 4 <= input.count else { throw invalid }
                    count = Int(tag >> 2) + 1
                    offset = (0..<4).reduce(0) { $0 | Int(input[position + $1]) << (8 * $1) }
                    position += 4
                }
                guard offset > 0, offset <= output.count, output.count + count <= length else { throw invalid }
                let start = output.count - offset
                for i in 0..<count { output.append(output[start + i]) }
            }
        }
        guard output.count == length else { throw invalid }
        return output
    }
}
