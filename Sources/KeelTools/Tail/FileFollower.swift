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
