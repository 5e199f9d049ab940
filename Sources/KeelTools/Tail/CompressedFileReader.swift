#if canImport(Glibc)
import Glibc
#endif
import Keel

/// A gzip'd log file — one a rotation compressed — read once, as Promtail and Alloy read them: its lines from where
/// an earlier run stopped (a count of decompressed bytes, in a ``FileFollower/Position`` of the same file), with the
/// position handed out every so often so a reader can commit it, and marked complete at the end so it is not
/// decompressed again.
package enum CompressedFileReader {
    /// Whether `path` names a file to read this way.
    package static func handles(_ path: String) -> Bool { path.hasSuffix(".gz") }

    /// Reads the lines of `path` after `saved` (when it is the same file), calling `onLine` with each (without its
    /// newline), `progress` every `progressBytes` decompressed bytes with the position after the lines delivered,
    /// and stopping early when `proceed` says so. Returns the position reached: `complete` when the file was read
    /// to its end. Throws when the file cannot be read or is not gzip.
    package static func read(
        _ path: String, after saved: FileFollower.Position?, progressBytes: Int = 8 << 20, while proceed: () -> Bool = { true },
        onLine: (UnsafeRawBufferPointer) -> Void, progress: (FileFollower.Position) -> Void = { _ in }
    ) throws -> FileFollower.Position {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw Gzip.Failure(description: "cannot read \(path): \(FileDescriptorIO.describe(errno))")
        }
        let device = UInt64(info.st_dev)
        let inode = UInt64(info.st_ino)
        let same = saved.map { $0.device == device && $0.inode == inode } ?? false
        if same, saved?.complete == true, let saved { return saved }
        let skip = same ? max(0, saved?.offset ?? 0) : 0
        var reader = LineReader()
        var seen: Int64 = 0
        var lastProgress: Int64 = 0
        var stopped = false
        func position(complete: Bool? = nil) -> FileFollower.Position {
            FileFollower.Position(device: device, inode: inode, offset: max(skip, seen - Int64(reader.pendingBytes)), complete: complete)
        }
        try Gzip.decompressFile(path) { bytes in
            guard proceed() else {
                stopped = true
                return false
            }
            // The bytes before `skip` were shipped by an earlier run.
            let start = Int(max(0, min(Int64(bytes.count), skip - seen)))
            seen += Int64(bytes.count)
            if start < bytes.count { reader.consume(UnsafeRawBufferPointer(rebasing: bytes[start...]), onLine: onLine) }
            if seen - lastProgress >= progressBytes {
                lastProgress = seen
                progress(position())
            }
            return true
        }
        guard !stopped else { return position() }
        reader.finish(onLine: onLine)
        return position(complete: true)
    }
}
