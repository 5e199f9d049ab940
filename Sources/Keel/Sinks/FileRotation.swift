#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// When a ``FileSink`` starts a new file, what it does with the old ones, and how they are named.
///
/// A rotated file is renamed to `<path>.<UTC time>` (`app.log.20261123T015800.123456Z`), so names sort in the
/// order the files were written; with ``compress`` it then becomes `….gz`. Rotation happens between two lines, never
/// inside one, under the sink's lock: no line is lost or written twice across it. Compression and retention run on
/// a background queue, off the writing path.
public struct FileRotation: Sendable, Equatable {
    /// Start a new file before one would grow past this many bytes.
    public var maxBytes: Int?
    /// Start a new file when the UTC day changes.
    public var daily: Bool
    /// Keep at most this many rotated files (the newest).
    public var keepFiles: Int?
    /// Delete rotated files older than this many days.
    public var keepDays: Int?
    /// gzip rotated files.
    public var compress: Bool

    public init(maxBytes: Int? = nil, daily: Bool = false, keepFiles: Int? = nil, keepDays: Int? = nil, compress: Bool = false) {
        self.maxBytes = maxBytes
        self.daily = daily
        self.keepFiles = keepFiles
        self.keepDays = keepDays
        self.compress = compress
    }

    /// Whether a file of `size` bytes opened on UTC day `day` (days since 1970) must be rotated before `incoming`
    /// more bytes are written on day `today`. An empty file takes any line, however long.
    @inline(__always)
    public func isDue(size: Int, incoming: Int, openedOnDay day: Int, today: Int) -> Bool {
        if let maxBytes, size > 0, size + incoming > maxBytes { return true }
        return daily && today != day
    }

    /// Days since 1970-01-01, UTC.
    static func today() -> Int {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int(now.tv_sec) / 86_400
    }

    /// A free name for the file being rotated out of `path`.
    static func rotatedName(for path: String) -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let stamp = Timestamp.compactUTC(seconds: Int(now.tv_sec), micros: Int(now.tv_nsec) / 1000)
        var name = path + "." + stamp
        var n = 1
        while access(name, F_OK) == 0 || access(name + ".gz", F_OK) == 0 {
            name = path + "." + stamp + "-\(n)"
            n += 1
        }
        return name
    }

    /// The rotated files of `path`, oldest first (their names sort by time).
    public static func rotatedFiles(of path: String) -> [String] {
        let (directory, base) = split(path)
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            guard name.hasPrefix(base + "."), !name.hasSuffix(".partial") else { continue }
            let stamp = name.dropFirst(base.count + 1)
            // `20261123T015800.123456Z`, then an optional `-N` and `.gz`.
            guard stamp.count >= 23, stamp.prefix(8).allSatisfy(\.isNumber), stamp.dropFirst(8).first == "T" else { continue }
            names.append(directory == "." && !path.hasPrefix("./") ? name : directory + "/" + name)
        }
        return names.sorted()
    }

    /// Deletes rotated files beyond ``keepFiles`` and older than ``keepDays``.
    func applyRetention(to path: String) {
        var files = Self.rotatedFiles(of: path)
        if let keepDays {
            let cutoff = Self.today() - keepDays
            files.removeAll { file in
                let name = file.split(separator: "/").last.map(String.init) ?? file
                let stamp = name.dropFirst(Self.split(path).base.count + 1).prefix(8)
                guard let day = Self.day(ofCompactDate: stamp), day < cutoff else { return false }
                unlink(file)
                return true
            }
        }
        if let keepFiles, files.count > keepFiles {
            for file in files.prefix(files.count - keepFiles) { unlink(file) }
        }
    }

    static func split(_ path: String) -> (directory: String, base: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = String(path[..<slash])
        return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
    }

    /// Days since 1970-01-01 of a `yyyyMMdd` date.
    static func day(ofCompactDate text: Substring) -> Int? {
        guard text.count == 8, let value = Int(text) else { return nil }
        return Timestamp.daysSinceEpoch(year: value / 10_000, month: value / 100 % 100, day: value % 100)
    }
}
