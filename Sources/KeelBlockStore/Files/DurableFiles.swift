#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import KeelStore

/// Why a file of the store cannot be read or written: what was being done, and the system's error.
package struct FileFailure: Error, CustomStringConvertible {
    package let what: String
    package let code: Int32
    package var description: String { "\(what): \(String(cString: strerror(code)))" }
}

extension FileFailure: StoreError {
    /// A full disk (or quota): the server answers 507, and nothing of what was being written is kept.
    package var isStorageFull: Bool { code == ENOSPC || code == EDQUOT }
}

/// Files of the store, read and written whole, and written so that a crash leaves the old state or the new one: to
/// a temporary name, fsync'd, renamed into place, and the directory fsync'd.
package enum DurableFiles {
    package typealias Failure = FileFailure

    package static func write(_ bytes: [UInt8], to path: String, mode: UInt32 = 0o644) throws(Failure) {
        let temporary = path + ".tmp"
        let file = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode_t(mode))
        guard file >= 0 else { throw Failure(what: "open \(temporary)", code: errno) }
        do {
            try writeAll(bytes, to: file, path: temporary)
        } catch {
            close(file)
            unlink(temporary)
            throw error
        }
        guard fsync(file) == 0 else {
            let code = errno
            close(file)
            unlink(temporary)
            throw Failure(what: "fsync \(temporary)", code: code)
        }
        close(file)
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw Failure(what: "rename \(temporary)", code: code)
        }
        syncDirectory(of: path)
    }

    /// Writes all of `bytes` at `file`'s position.
    static func writeAll(_ bytes: [UInt8], to file: Int32, path: String) throws(Failure) {
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { Glibc.write(file, $0.baseAddress! + written, $0.count - written) }
            if result < 0 {
                if errno == EINTR { continue }
                throw Failure(what: "write \(path)", code: errno)
            }
            written += result
        }
    }

    /// The whole file at `path`; an empty one when there is none and `missingIsEmpty`.
    package static func read(_ path: String, missingIsEmpty: Bool = false) throws(Failure) -> [UInt8] {
        let file = open(path, O_RDONLY | O_CLOEXEC)
        if file < 0, errno == ENOENT, missingIsEmpty { return [] }
        guard file >= 0 else { throw Failure(what: "open \(path)", code: errno) }
        defer { close(file) }
        // As many bytes as the file holds, read straight into the result; then whatever it grew by.
        var status = stat()
        let expected = fstat(file, &status) == 0 ? Int(status.st_size) : 0
        var failure: Int32?
        var out = [UInt8](unsafeUninitializedCapacity: expected) { buffer, filled in
            filled = 0
            while filled < expected {
                let count = Glibc.read(file, buffer.baseAddress! + filled, expected - filled)
                if count < 0, errno == EINTR { continue }
                if count < 0 { failure = errno }
                if count <= 0 { return }
                filled += count
            }
        }
        if let failure { throw Failure(what: "read \(path)", code: failure) }
        var buffer = [UInt8](repeating: 0, count: 1 << 12)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(file, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw Failure(what: "read \(path)", code: errno)
            }
            if count == 0 { return out }
            out.append(contentsOf: buffer[0..<count])
        }
    }

    /// Parts of one file, read through one descriptor: what a partition reads of each block file when it opens (the
    /// filter and the block's header, not the block).
    struct OpenFile: ~Copyable {
        let path: String
        let size: Int
        private let descriptor: Int32

        init(_ path: String) throws(Failure) {
            descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw Failure(what: "open \(path)", code: errno) }
            var status = stat()
            guard fstat(descriptor, &status) == 0 else {
                let code = errno
                close(descriptor)
                throw Failure(what: "stat \(path)", code: code)
            }
            self.path = path
            size = Int(status.st_size)
        }

        deinit { close(descriptor) }

        /// The `count` bytes at `offset`, or as many as the file holds there.
        func read(at offset: Int, count: Int) throws(Failure) -> [UInt8] {
            let wanted = max(0, min(count, size - offset))
            var failure: Int32?
            let out = [UInt8](unsafeUninitializedCapacity: wanted) { buffer, filled in
                filled = 0
                while filled < wanted {
                    let got = pread(descriptor, buffer.baseAddress! + filled, wanted - filled, off_t(offset + filled))
                    if got < 0, errno == EINTR { continue }
                    if got < 0 { failure = errno }
                    if got <= 0 { return }
                    filled += got
                }
            }
            if let failure { throw Failure(what: "read \(path)", code: failure) }
            return out
        }
    }

    /// fsyncs the directory holding `path`, so that a rename in it survives power loss.
    static func syncDirectory(of path: String) {
        let directory = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        let file = open(directory.isEmpty ? "." : directory, O_RDONLY | O_CLOEXEC)
        guard file >= 0 else { return }
        fsync(file)
        close(file)
    }
}
