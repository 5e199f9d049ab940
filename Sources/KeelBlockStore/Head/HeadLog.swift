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
    /// The log open for appending: opened (and the file created) by the first write, so that a day that is only
    /// read gets no log file.
    private var descriptor: Int32 = -1

    /// Opens the log at `path` (which need not exist); ``recovered`` is every whole record it held.
    package init(path: String, durability: Durability) throws(FileFailure) {
        let contents = try DurableFiles.read(path, missingIsEmpty: true)
        let (records, soundLength) = HeadLogRecords.read(contents)
        self.path = path
        self.durability = durability
        recovered = records
        discardedBytes = contents.count - soundLength
        if soundLength < contents.count {
            let file = try opened()
            guard ftruncate(file, off_t(soundLength)) == 0, fsync(file) == 0 else { throw FileFailure(what: "cut back \(path)", code: errno) }
        }
    }

    /// The log's descriptor, opening (and creating) it first if need be.
    private func opened() throws(FileFailure) -> Int32 {
        if descriptor < 0 {
            descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else { throw FileFailure(what: "open \(path)", code: errno) }
        }
        return descriptor
    }

    /// The records the log held when it was opened.
    package let recovered: [HeadLogRecords.Record]
    /// How many bytes of a cut or damaged last record were cut off when it was opened.
    package let discardedBytes: Int

    deinit { if descriptor >= 0 { close(descriptor) } }

    /// Appends `records` and returns once they are as durable as the log's durability says.
    package func append(_ records: [HeadLogRecords.Record]) throws(FileFailure) {
        var bytes: [UInt8] = []
        HeadLogRecords.append(records, to: &bytes)
        let file = try opened()
        try DurableFiles.writeAll(bytes, to: file, path: path)
        if durability == .full, fsync(file) != 0 { throw FileFailure(what: "fsync \(path)", code: errno) }
    }

    /// Replaces the log's contents with `records` at once (``DurableFiles/write(_:to:)``): a crash leaves either the
    /// old log or the new one, never a log without events it had acknowledged.
    package func replace(with records: [HeadLogRecords.Record]) throws(FileFailure) {
        var bytes: [UInt8] = []
        HeadLogRecords.append(records, to: &bytes)
        try DurableFiles.write(bytes, to: path)
        let file = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard file >= 0 else { throw FileFailure(what: "open \(path)", code: errno) }
        if descriptor >= 0 { close(descriptor) }
        descriptor = file
    }

    /// Empties the log (its records are in blocks now).
    package func reset() throws(FileFailure) {
        let file = try opened()
        guard ftruncate(file, 0) == 0 else { throw FileFailure(what: "reset \(path)", code: errno) }
        if durability == .full, fsync(file) != 0 { throw FileFailure(what: "fsync \(path)", code: errno) }
    }
}
