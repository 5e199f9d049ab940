#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CZlib

/// gzip-compresses a finished log file with the system zlib: `path` becomes `path.gz` (written to a temporary name,
/// synced, then renamed, so a crash never leaves a truncated `.gz`), and the original is removed only after that.
enum Gzip {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func compressFile(_ path: String, level: Int32 = 6) throws(Failure) {
        let input = open(path, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw Failure(description: "cannot open \(path): \(FileDescriptorIO.describe(errno))") }
        defer { close(input) }
        let temporary = path + ".gz.partial"
        let output = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        guard output >= 0 else {
            throw Failure(description: "cannot create \(temporary): \(FileDescriptorIO.describe(errno))")
        }
        var finished = false
        defer {
            close(output)
            if !finished { unlink(temporary) }
        }
        var stream = z_stream()
        // windowBits 15 + 16: a gzip header and trailer rather than a raw zlib stream.
        guard deflateInit2_(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK
        else { throw Failure(description: "zlib could not start") }
        defer { deflateEnd(&stream) }
        let chunk = 256 * 1024
        let inBuffer = UnsafeMutablePointer<UInt8>.allocate(capacity: chunk)
        let outBuffer = UnsafeMutablePointer<UInt8>.allocate(capacity: chunk)
        defer {
            inBuffer.deallocate()
            outBuffer.deallocate()
        }
        while true {
            let n = read(input, inBuffer, chunk)
            if n < 0 {
                if errno == EINTR { continue }
                throw Failure(description: "cannot read \(path): \(FileDescriptorIO.describe(errno))")
            }
            stream.next_in = inBuffer
            stream.avail_in = UInt32(n)
            let flush = n == 0 ? Z_FINISH : Z_NO_FLUSH
            repeat {
                stream.next_out = outBuffer
                stream.avail_out = UInt32(chunk)
                let status = deflate(&stream, flush)
                guard status != Z_STREAM_ERROR else { throw Failure(description: "zlib failed on \(path)") }
                let produced = chunk - Int(stream.avail_out)
                if let code = FileDescriptorIO.writeAll(output, UnsafeRawBufferPointer(start: outBuffer, count: produced)) {
                    throw Failure(description: "cannot write \(temporary): \(FileDescriptorIO.describe(code))")
                }
            } while stream.avail_out == 0
            if n == 0 { break }
        }
        guard fsync(output) == 0 else { throw Failure(description: "cannot sync \(temporary): \(FileDescriptorIO.describe(errno))") }
        guard rename(temporary, path + ".gz") == 0 else {
            throw Failure(description: "cannot rename \(temporary): \(FileDescriptorIO.describe(errno))")
        }
        finished = true
        unlink(path)
    }
}
