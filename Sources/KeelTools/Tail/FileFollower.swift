#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Follows a growing log file across rotation, like `tail -F`.
///
/// Each ``poll(onLine:)`` reads what was appended since the last one. When the path now names a different file
/// (rotated by rename, or removed and re-created) the rest of the old file is read first, then the new file from
/// its start; when the file got shorter (`copytruncate`) reading restarts at its beginning. A missing file is
/// waited for. No thread and no sleep inside: the caller decides how often to poll.
package final class FileFollower {
    /// Where a follower is in its file: the file (device and inode, so that a rotation is told apart from a
    /// file that grew) and the offset just past the last whole line delivered.
    package struct Position: Sendable, Codable, Equatable {
        package var device: UInt64
        package var inode: UInt64
        package var offset: Int64
        /// Set for a compressed file read to its end (``CompressedFileReader``): it does not grow, and is not read
        /// again. `offset` then counts decompressed bytes.
        package var complete: Bool?

        package init(device: UInt64, inode: UInt64, offset: Int64, complete: Bool? = nil) {
            self.device = device
            self.inode = inode
            self.offset = offset
            self.complete = complete
        }
    }

    /// Where to start reading the file now at the path, given where reading stopped before: the same file (same
    /// device and inode) at least as long as the offset is read on from there; another file (rotated meanwhile), or
    /// the same one shorter than the offset (truncated), from its start.
    package static func resumeOffset(saved: Position?, device: UInt64, inode: UInt64, size: Int64) -> Int64 {
        guard let saved, saved.device == device, saved.inode == inode, saved.offset >= 0, saved.offset <= size else { return 0 }
        return saved.offset
    }

    package let path: String
    private var fd: Int32 = -1
    private var identity: (dev: UInt64, ino: UInt64)?
    private var offset: Int64 = 0
    private var reader = LineReader()

    /// - Parameter fromEnd: start at the current end of the file instead of its beginning.
    package init(path: String, fromEnd: Bool = false) {
        self.path = path
        if open(), fromEnd {
            offset = Int64(lseek(fd, 0, SEEK_END))
        }
    }

    /// Resumes at `position` (from ``position`` before a restart), as ``resumeOffset(saved:device:inode:size:)`` decides.
    package init(path: String, resumingAt position: Position?) {
        self.path = path
        if open() {
            var st = stat()
            fstat(fd, &st)
            offset = Self.resumeOffset(saved: position, device: UInt64(st.st_dev), inode: UInt64(st.st_ino), size: Int64(st.st_size))
            lseek(fd, off_t(offset), SEEK_SET)
        }
    }

    /// Where reading is: the file, and the offset past the last whole line delivered. `nil` while there is no file.
    package var position: Position? {
        guard fd >= 0, let identity else { return nil }
        return Position(device: identity.dev, inode: identity.ino, offset: offset - Int64(reader.pendingBytes))
    }

    deinit { if fd >= 0 { close(fd) } }

    @discardableResult
    private func open() -> Bool {
        let newFD = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard newFD >= 0 else { return false }
        var st = stat()
        fstat(newFD, &st)
        fd = newFD
        identity = (UInt64(st.st_dev), UInt64(st.st_ino))
        offset = 0
        return true
    }

    /// Whether the file is open (it may not exist yet).
    package var isOpen: Bool { fd >= 0 }

    /// Reads everything new and calls `onLine` for each complete line. Returns the number of lines delivered.
    @discardableResult
    package func poll(onLine: (UnsafeRawBufferPointer) -> Void) -> Int {
        var delivered = 0
        let counting: (UnsafeRawBufferPointer) -> Void = { line in
            delivered += 1
            onLine(line)
        }
        if fd < 0 {
            guard open() else { return 0 }
        }
        // Truncated in place (copytruncate): start again from the top.
        var st = stat()
        if fstat(fd, &st) == 0, Int64(st.st_size) < offset {
            lseek(fd, 0, SEEK_SET)
            offset = 0
            reader = LineReader()
        }
        drain(counting)
        // Rotated: the path now names another file (or none yet).
        var pathStat = stat()
        let exists = stat(path, &pathStat) == 0
        let replaced = exists && (UInt64(pathStat.st_dev), UInt64(pathStat.st_ino)) != identity!
        if replaced {
            drain(counting)
            reader.finish(onLine: counting)
            close(fd)
            fd = -1
            reader = LineReader()
            if open() { drain(counting) }
        }
        return delivered
    }

    private func drain(_ onLine: (UnsafeRawBufferPointer) -> Void) {
        while true {
            switch reader.read(from: fd, onLine: onLine) {
            case .read(let n):
                offset += Int64(n)
                if n == 0 { continue }
            case .endOfInput, .failed:
                return
            }
        }
    }
}
