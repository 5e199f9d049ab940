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

    /// Opens (or creates) the log at `path`; ``recovered`` is every whole record it held.
    package init(path: String, durability: Durability) throws(FileFailure) {
        let contents = try DurableFiles.read(path, missingIsEmpty: true)
        let (records, soundLength) = HeadLogRecords.read(contents)
        let file = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard file >= 0 else { throw FileFailure(what: "open \(path)", code: errno) }
        if soundLength < contents.count {
            guard ftruncate(file, off_t(soundLength)) == 0, fsync(file) == 0 else {
                let code = errno
                close(file)
                throw FileFailure(what: "cut back \(path)", code: code)
            }
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
    package func append(_ records: [HeadLogRecords.Record]) throws(FileFailure) {
        var bytes: [UInt8] = []
        HeadLogRecords.append(records, to: &bytes)
        try DurableFiles.writeAll(bytes, to: descriptor, path: path)
        if durability == .full, fsync(descriptor) != 0 { throw FileFailure(what: "fsync \(path)", code: errno) }
    }

    /// Replaces the log's contents with `records` at once (``DurableFiles/write(_:to:)``): a crash leaves either the
    /// old log or the new one, never a log without events it had acknowledged.
    package func replace(with records: [HeadLogRecords.Record]) throws(FileFailure) {
        var bytes: [UInt8] = []
        HeadLogRecords.append(records, to: &bytes)
        try DurableFiles.write(bytes, to: path)
        let file = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard file >= 0 else { throw FileFailure(what: "open \(path)", code: errno) }
        close(descriptor)
        descriptor = file
    }

    /// Empties the log (its records are in blocks now).
    package func reset() throws(FileFailure) {
        guard ftruncate(descriptor, 0) == 0 else { throw FileFailure(what: "reset \(path)", code: errno) }
        if durability == .full, fsync(descriptor) != 0 { throw FileFailure(what: "fsync \(path)", code: errno) }
    }
}
