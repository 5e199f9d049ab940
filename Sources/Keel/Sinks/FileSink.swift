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

/// Appends lines to a file through an in-memory buffer, so that a log call costs a `memcpy`, not a `write(2)`.
///
/// The buffer is written out when it fills, when an ERROR or CRITICAL line arrives (the process may be about to
/// die), every ``flushInterval`` by a timer, and on ``flush()`` and ``close()`` — `Keel.shutdown()` and the exit
/// handler that `Keel.bootstrap` installs call them. Between flushes up to ``bufferSize`` bytes, or one flush
/// interval, can be lost if the process is killed. The file is opened with `O_APPEND` and created `0640`.
///
/// Rotation, compression and retention are the rotating file sink's job; this sink writes one file.
public final class FileSink: LogSink {
    public let path: String
    public let bufferSize: Int
    public let flushInterval: Duration?
    private let diagnostics: Diagnostics
    private let state: Mutex<State>
    private let timer: (any DispatchSourceTimer)?

    private struct State: ~Copyable {
        var fd: Int32
        var buffer: OutputBuffer
        var lastErrno: Int32 = 0
        var closed = false
        deinit { buffer.deallocate() }
    }

    /// Opens (creating if needed) `path` for appending.
    /// - Throws: ``SinkError`` naming the path and the reason when it cannot be opened.
    public init(
        path: String, bufferSize: Int = 256 * 1024, flushInterval: Duration? = .milliseconds(500),
        diagnostics: Diagnostics = Diagnostics()
    ) throws {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else {
            throw SinkError(path: path, reason: FileDescriptorIO.describe(errno))
        }
        self.path = path
        self.bufferSize = max(bufferSize, 4096)
        self.flushInterval = flushInterval
        self.diagnostics = diagnostics
        self.state = Mutex(State(fd: fd, buffer: OutputBuffer(capacity: max(bufferSize, 4096))))
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

    public func write(_ line: UnsafeRawBufferPointer, level: Logger.Level, storageClass: StorageClass) {
        let failure: Int32? = state.withLock { state in
            if state.closed { return -1 }
            if state.buffer.count + line.count > bufferSize, let failure = Self.drain(&state) { return failure }
            if line.count >= bufferSize {
                // A line larger than the buffer goes straight to the file.
                return FileDescriptorIO.writeAll(state.fd, line)
            }
            state.buffer.append(line)
            if level >= .error { return Self.drain(&state) }
            return nil
        }
        if let failure { report(failure) }
    }

    public func flush() {
        if let failure = state.withLock({ state in state.closed ? nil : Self.drain(&state) }) { report(failure) }
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
