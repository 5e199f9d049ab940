#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A head's write-ahead log on disk: appends go to the end of one file, and are on disk — fsync'd with `.full`
/// durability, written to the operating system with `.normal` — before ``append(_:)`` returns, which is what an
/// acknowledgement promises. Opening the log reads back every whole record and cuts off what a crash left of the
/// last one (``HeadLogRecords/read(_:)``), so appends go on after the last whole record.
package final class HeadLog {
    package enum Durability: Sendable {
        /// Written to the operating system: survives the process being killed.
        case normal
        /// Also fsync'd: survives the machine losing power.
        case full
    }

    package let path: String
    private let durability: Durability
    private var descriptor: Int32

    /// Opens (or creates) the log at `path`; `recovered` is every whole record it held.
    package init(path: String, durability: Durability) throws(HeadLogError) {
        let file = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard file >= 0 else { throw .system("open \(path)", errno) }
        let contents: [UInt8]
        do { contents = try Self.readAll(file) } catch {
            close(file)
            throw error
        }
        let (records, soundLength) = HeadLogRecords.read(contents)
        if soundLength < contents.count {
            guard ftruncate(file, off_t(soundLength)) == 0, fsync(file) == 0 else {
                let code = errno
                close(file)
                throw .system("cut back \(path)", code)
            }
        }
        guard lseek(file, 0, SEEK_END) >= 0 else {
            let code = errno
            close(file)
            throw .system("seek \(path)", code)
        }
        self.path = path
        self.durability = durability
        descriptor = file
        recovered = records
        discardedBytes = contents.count - soundLength
    }

    /// The records the log held when it was opened.
    package let recovered: [HeadLogRecords.Record]
    /// How many bytes of a cut or damaged last record were cut off when it was opened.
    package let discardedBytes: Int

    deinit { close(descriptor) }

    /// Appends `records` and returns once they are as durable as the log's durability says.
    package func append(_ records: [HeadLogRecords.Record]) throws(HeadLogError) {
        var bytes: [UInt8] = []
        HeadLogRecords.append(records, to: &bytes)
        try Self.writeAll(bytes, to: descriptor, path: path)
        if durability == .full, fsync(descriptor) != 0 { throw .system("fsync \(path)", errno) }
    }

    /// Replaces the log's contents with `records` at once: they are written to a new file that then takes the log's
    /// name, so a crash leaves either the old log or the new one, never a log without events it had acknowledged.
    package func replace(with records: [HeadLogRecords.Record]) throws(HeadLogError) {
        let temporary = path + ".new"
        let file = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard file >= 0 else { throw .system("open \(temporary)", errno) }
        var bytes: [UInt8] = []
        HeadLogRecords.append(records, to: &bytes)
        do throws(HeadLogError) {
            try Self.writeAll(bytes, to: file, path: temporary)
            if durability == .full, fsync(file) != 0 { throw .system("fsync \(temporary)", errno) }
            guard rename(temporary, path) == 0 else { throw .system("rename \(temporary)", errno) }
        } catch {
            close(file)
            unlink(temporary)
            throw error
        }
        if durability == .full { Self.syncDirectory(of: path) }
        close(descriptor)
        descriptor = file
    }

    /// Empties the log (its records are in blocks now).
    package func reset() throws(HeadLogError) {
        guard ftruncate(descriptor, 0) == 0, lseek(descriptor, 0, SEEK_SET) == 0 else { throw .system("reset \(path)", errno) }
        if durability == .full, fsync(descriptor) != 0 { throw .system("fsync \(path)", errno) }
    }

    private static func writeAll(_ bytes: [UInt8], to file: Int32, path: String) throws(HeadLogError) {
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { write(file, $0.baseAddress! + written, $0.count - written) }
            if result < 0 {
                if errno == EINTR { continue }
                throw .system("write \(path)", errno)
            }
            written += result
        }
    }

    /// fsyncs the directory holding `path`, so that a rename in it survives power loss.
    private static func syncDirectory(of path: String) {
        let directory = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        let file = open(directory.isEmpty ? "." : directory, O_RDONLY | O_CLOEXEC)
        guard file >= 0 else { return }
        fsync(file)
        close(file)
    }

    private static func readAll(_ descriptor: Int32) throws(HeadLogError) -> [UInt8] {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw .system("read", errno)
            }
            if count == 0 { return out }
            out.append(contentsOf: buffer[0..<count])
        }
    }
}

/// Why a head's log cannot be used.
package enum HeadLogError: Error, CustomStringConvertible {
    case system(String, Int32)

    package var description: String {
        switch self {
        case .system(let what, let code): "\(what): \(String(cString: strerror(code)))"
        }
    }
}
