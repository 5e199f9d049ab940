#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
public import Logging
import Synchronization
@preconcurrency import Dispatch

/// Appends lines to a file through an in-memory buffer, so that a log call costs a `memcpy`, not a `write(2)`;
/// optionally rotates it (``FileRotation``: by size and/or daily, gzip, retention).
///
/// The buffer is written out when it fills, when an ERROR or CRITICAL line arrives (the process may be about to
/// die), every ``flushInterval`` by a timer, and on ``flush()`` and ``close()`` — `Keel.shutdown()` and the exit
/// handler that `Keel.bootstrap` installs call them. Between flushes up to ``bufferSize`` bytes, or one flush
/// interval, can be lost if the process is killed. The file is opened with `O_APPEND` and created `0640`.
///
/// ``reopen()`` (what SIGHUP should call) closes and reopens the path, for external rotation: with logrotate's
/// `create`, lines go to the new file from then on; with `copytruncate`, `O_APPEND` already writes at the new end.
public final class FileSink: LogSink {
    public let path: String
    public let bufferSize: Int
    public let flushInterval: Duration?
    public let rotation: FileRotation?
    private let diagnostics: Diagnostics
    private let state: Mutex<State>
    private let timer: (any DispatchSourceTimer)?
    /// Compression and retention of rotated files, off the writing path.
    private let maintenance = DispatchQueue(label: "keel.file-sink.maintenance")

    private struct State: ~Copyable {
        var fd: Int32
        var buffer: OutputBuffer
        /// Bytes in the file, written or buffered.
        var size: Int
        /// The UTC day the file was opened (for daily rotation).
        var day: Int
        var lastErrno: Int32 = 0
        var closed = false
        deinit { buffer.deallocate() }
    }

    /// Opens (creating if needed) `path` for appending.
    /// - Throws: ``SinkError`` naming the path and the reason when it cannot be opened.
    public init(
        path: String, bufferSize: Int = 256 * 1024, flushInterval: Duration? = .milliseconds(500),
        rotation: FileRotation? = nil, diagnostics: Diagnostics = Diagnostics()
    ) throws {
        let (fd, size) = try Self.open(path)
        self.path = path
        self.bufferSize = max(bufferSize, 4096)
        self.flushInterval = flushInterval
        self.rotation = rotation
        self.diagnostics = diagnostics
        self.state = Mutex(
            State(fd: fd, buffer: OutputBuffer(capacity: max(bufferSize, 4096)), size: size, day: FileRotation.today()))
        if let flushInterval {
            let timer = DispatchSource.makeTimerSource(queue: .global(qos: .utility))
            let ms = Int(flushInterval.components.seconds * 1000 + flushInterval.components.attoseconds / 1_000_000_000_000_000)
            timer.schedule(deadline: .now() + .milliseconds(ms), repeating: .milliseconds(max(ms, 1)))
            self.timer = timer
            timer.setEventHandler { [weak self] in self?.flush() }
            timer.resume()
        } else {
            self.timer = nil
        }
    }

    deinit {
        timer?.cancel()
        close()
    }

    private static func open(_ path: String) throws(SinkError) -> (fd: Int32, size: Int) {
        let fd = Glibc.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw SinkError(path: path, reason: FileDescriptorIO.describe(errno)) }
        var info = stat()
        return (fd, fstat(fd, &info) == 0 ? Int(info.st_size) : 0)
    }

    public var isDurable: Bool { true }
    public var name: String { "file:" + path }

    public func write(_ line: UnsafeRawBufferPointer, level: Logger.Level, storageClass: StorageClass) {
        var rotationFailure: Int32?
        let failure: Int32? = state.withLock { state in
            if state.closed { return -1 }
            if let rotation,
                rotation.isDue(
                    size: state.size, incoming: line.count, openedOnDay: state.day,
                    today: rotation.daily ? FileRotation.today() : state.day)
            {
                // A failed rotation is reported, and the line still goes to the file that is open.
                rotationFailure = rotate(&state)
            }
            state.size += line.count
            if state.buffer.count + line.count > bufferSize, let failure = Self.drain(&state) { return failure }
            if line.count >= bufferSize {
                // A line larger than the buffer goes straight to the file.
                return FileDescriptorIO.writeAll(state.fd, line)
            }
            state.buffer.append(line)
            if level >= .error { return Self.drain(&state) }
            return nil
        }
        if let rotationFailure { report(rotationFailure) }
        if let failure { report(failure) }
    }

    public func flush() {
        if let failure = state.withLock({ state in state.closed ? nil : Self.drain(&state) }) { report(failure) }
    }

    /// Closes and reopens ``path`` (after external rotation; on SIGHUP). Buffered lines go to the file they were
    /// written for.
    public func reopen() {
        let failure: Int32? = state.withLock { state in
            guard !state.closed else { return nil }
            let failure = Self.drain(&state)
            guard let (fd, size) = try? Self.open(path) else { return errno }
            Glibc.close(state.fd)
            state.fd = fd
            state.size = size
            state.day = FileRotation.today()
            return failure
        }
        if let failure { report(failure) }
    }

    public func close() {
        timer?.cancel()
        let failure: Int32? = state.withLock { state in
            guard !state.closed else { return nil }
            let failure = Self.drain(&state)
            Glibc.close(state.fd)
            state.closed = true
            return failure
        }
        if let failure { report(failure) }
        // Rotated files are compressed and pruned before `close` returns: a short-lived tool leaves them done.
        maintenance.sync {}
    }

    /// Moves the current file aside and starts a new one; the old one is compressed and pruned in the background.
    /// Called under the lock, between two lines.
    private func rotate(_ state: inout State) -> Int32? {
        if let failure = Self.drain(&state) { return failure }
        let rotated = FileRotation.rotatedName(for: path)
        guard Glibc.rename(path, rotated) == 0 else { return errno }
        Glibc.close(state.fd)
        guard let (fd, size) = try? Self.open(path) else {
            // Keep writing somewhere rather than nowhere: the rotated file, until the path can be created again.
            state.fd = Glibc.open(rotated, O_WRONLY | O_APPEND | O_CLOEXEC)
            return errno
        }
        state.fd = fd
        state.size = size
        state.day = FileRotation.today()
        guard let rotation else { return nil }
        let path = self.path
        let diagnostics = self.diagnostics
        maintenance.async {
            if rotation.compress {
                do throws(Gzip.Failure) {
                    try Gzip.compressFile(rotated)
                } catch {
                    diagnostics.countSinkFailure()
                    FileDescriptorIO.reportToStderr("file sink \(path): \(error)")
                }
            }
            rotation.applyRetention(to: path)
        }
        return nil
    }

    /// Writes the buffer out; on failure the buffered lines are dropped (and counted by the caller).
    private static func drain(_ state: inout State) -> Int32? {
        guard state.buffer.count > 0 else { return nil }
        let failure = state.buffer.withUnsafeBytes { FileDescriptorIO.writeAll(state.fd, $0) }
        state.buffer.removeAll()
        return failure
    }

    private func report(_ code: Int32) {
        if code == -1 {
            diagnostics.countWriteAfterClose()
            return
        }
        diagnostics.countSinkFailure()
        let isNew = state.withLock { state in
            defer { state.lastErrno = code }
            return state.lastErrno != code
        }
        if isNew { FileDescriptorIO.reportToStderr("file sink \(path): write failed: \(FileDescriptorIO.describe(code))") }
    }
}

/// A sink could not be set up.
public struct SinkError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let reason: String
    public var description: String { "cannot open log file '\(path)': \(reason)" }
}
