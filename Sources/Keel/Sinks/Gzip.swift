#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CZlib

/// gzip-compresses a finished log file with the system zlib: `path` becomes `path.gz` (written to a temporary name,
/// synced, then renamed, so a crash never leaves a truncated `.gz`), and the original is removed only after that.
package enum Gzip {
    package struct Failure: Error, CustomStringConvertible {
        package let description: String

        package init(description: String) { self.description = description }
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
        let compressor = try Compressor(level: level)
        let chunk = 256 * 1024
        let inBuffer = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 1)
        defer { inBuffer.deallocate() }
        while true {
            let n = read(input, inBuffer, chunk)
            if n < 0 {
                if errno == EINTR { continue }
                throw Failure(description: "cannot read \(path): \(FileDescriptorIO.describe(errno))")
            }
            try compressor.compress(UnsafeRawBufferPointer(start: inBuffer, count: n), finishing: n == 0) { produced throws(Failure) in
                if let code = FileDescriptorIO.writeAll(output, produced) {
                    throw Failure(description: "cannot write \(temporary): \(FileDescriptorIO.describe(code))")
                }
            }
            if n == 0 { break }
        }
        guard fsync(output) == 0 else { throw Failure(description: "cannot sync \(temporary): \(FileDescriptorIO.describe(errno))") }
        guard rename(temporary, path + ".gz") == 0 else {
            throw Failure(description: "cannot rename \(temporary): \(FileDescriptorIO.describe(errno))")
        }
        finished = true
        unlink(path)
    }

    /// `bytes` gzip-compressed, in memory (what `keel serve` sends a browser of its web UI's files).
    package static func compress(_ bytes: [UInt8], level: Int32 = 9) -> [UInt8] {
        var out: [UInt8] = []
        // zlib fails only when it cannot allocate its state: nothing to compress then is a bug, not an input.
        guard let compressor = try? Compressor(level: level) else { preconditionFailure("zlib could not start") }
        bytes.withUnsafeBytes { input in
            try? compressor.compress(input, finishing: true) { (produced: UnsafeRawBufferPointer) throws(Failure) in out += produced }
        }
        return out
    }

    /// The decompressed bytes of the gzip file at `path` (its members one after another, as `gzip -d` gives them),
    /// handed to `body` a piece at a time so that memory stays small whatever the file's size; reading stops when
    /// `body` returns `false`. Throws when the file cannot be read or is not gzip, naming the path.
    package static func decompressFile(_ path: String, _ body: (UnsafeRawBufferPointer) -> Bool) throws(Failure) {
        let input = open(path, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw Failure(description: "cannot open \(path): \(FileDescriptorIO.describe(errno))") }
        defer { close(input) }
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer {
            inflateEnd(stream)
            stream.deallocate()
        }
        // 15 + 32: a gzip (or zlib) header, read from the stream.
        guard inflateInit2_(stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw Failure(description: "zlib could not start")
        }
        let chunk = 256 * 1024
        let inBuffer = UnsafeMutablePointer<UInt8>.allocate(capacity: chunk)
        let outBuffer = UnsafeMutablePointer<UInt8>.allocate(capacity: chunk)
        defer {
            inBuffer.deallocate()
            outBuffer.deallocate()
        }
        var ended = false
        while true {
            let n = read(input, inBuffer, chunk)
            if n < 0 {
                if errno == EINTR { continue }
                throw Failure(description: "cannot read \(path): \(FileDescriptorIO.describe(errno))")
            }
            if n == 0 {
                guard ended else { throw Failure(description: "\(path) ends inside its gzip stream (truncated)") }
                return
            }
            stream.pointee.next_in = inBuffer
            stream.pointee.avail_in = UInt32(n)
            // Until this input is used and zlib holds no more output.
            repeat {
                // Another member after the end of one (gzip files may be concatenated).
                if ended, stream.pointee.avail_in > 0 {
                    guard inflateReset(stream) == Z_OK else { throw Failure(description: "zlib failed") }
                    ended = false
                }
                stream.pointee.next_out = outBuffer
                stream.pointee.avail_out = UInt32(chunk)
                let status = inflate(stream, Z_NO_FLUSH)
                guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
                    throw Failure(description: "\(path) is not a gzip file, or is damaged (zlib: \(status))")
                }
                let produced = chunk - Int(stream.pointee.avail_out)
                if produced > 0, !body(UnsafeRawBufferPointer(start: outBuffer, count: produced)) { return }
                if status == Z_STREAM_END { ended = true }
                if status == Z_BUF_ERROR, produced == 0 { break }
            } while stream.pointee.avail_in > 0 || stream.pointee.avail_out == 0
        }
    }

    /// One gzip stream of zlib's, fed a chunk at a time. Its state is allocated where it stays: zlib checks that a
    /// stream is where it was started.
    private struct Compressor: ~Copyable {
        private let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        private let output = UnsafeMutablePointer<UInt8>.allocate(capacity: 256 * 1024)

        init(level: Int32) throws(Failure) {
            stream.initialize(to: z_stream())
            // windowBits 15 + 16: a gzip header and trailer rather than a raw zlib stream.
            guard deflateInit2_(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK
            else {
                stream.deallocate()
                output.deallocate()
                throw Failure(description: "zlib could not start")
            }
        }

        deinit {
            deflateEnd(stream)
            stream.deallocate()
            output.deallocate()
        }

        /// Compresses `input`, handing each piece of output to `emit`; `finishing` ends the stream.
        func compress(
            _ input: UnsafeRawBufferPointer, finishing: Bool, emit: (UnsafeRawBufferPointer) throws(Failure) -> Void
        ) throws(Failure) {
            stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: UInt8.self))
            stream.pointee.avail_in = UInt32(input.count)
            repeat {
                stream.pointee.next_out = output
                stream.pointee.avail_out = UInt32(256 * 1024)
                guard deflate(stream, finishing ? Z_FINISH : Z_NO_FLUSH) != Z_STREAM_ERROR else { throw Failure(description: "zlib failed") }
                try emit(UnsafeRawBufferPointer(start: output, count: 256 * 1024 - Int(stream.pointee.avail_out)))
            } while stream.pointee.avail_out == 0
        }
    }
}
