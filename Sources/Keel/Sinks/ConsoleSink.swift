public import Logging
import Synchronization

/// Writes lines to stdout and stderr: WARN and below to stdout, ERROR and CRITICAL to stderr (configurable).
///
/// In ``Format/json`` each line is written as encoded. In ``Format/text`` it is rendered for people, one line per
/// event, coloured when the stream is a terminal (see ``TextRenderer``). One `write(2)` per line, so that a
/// container runtime or a pipe sees whole lines as they happen.
public final class ConsoleSink: LogSink {
    public enum Format: String, Sendable, CaseIterable {
        case json, text
    }

    /// Which levels go to stderr.
    public struct Streams: Sendable, Hashable {
        /// Events at this level and above go to stderr; `nil` sends everything to stdout.
        public var stderrFrom: Logger.Level?
        public init(stderrFrom: Logger.Level?) { self.stderrFrom = stderrFrom }
        /// ERROR and CRITICAL to stderr, the rest to stdout (the default).
        public static let split = Streams(stderrFrom: .error)
        public static let stdoutOnly = Streams(stderrFrom: nil)
        public static let stderrOnly = Streams(stderrFrom: .trace)
    }

    public let format: Format
    public let streams: Streams
    private let stdoutFD: Int32
    private let stderrFD: Int32
    private let colourStdout: Bool
    private let colourStderr: Bool
    private let diagnostics: Diagnostics
    private let lock = Mutex<ReportedFailure>(ReportedFailure())

    private struct ReportedFailure {
        var lastErrno: Int32 = 0
        var closed = false
    }

    /// - Parameters:
    ///   - colour: `nil` colours text output only where the stream is a terminal.
    ///   - stdoutFD, stderrFD: the descriptors to write to (tests pass pipes).
    public init(
        format: Format = .json, streams: Streams = .split, colour: Bool? = nil,
        stdoutFD: Int32 = 1, stderrFD: Int32 = 2, diagnostics: Diagnostics = Diagnostics()
    ) {
        self.format = format
        self.streams = streams
        self.stdoutFD = stdoutFD
        self.stderrFD = stderrFD
        self.colourStdout = colour ?? FileDescriptorIO.isTerminal(stdoutFD)
        self.colourStderr = colour ?? FileDescriptorIO.isTerminal(stderrFD)
        self.diagnostics = diagnostics
    }

    public var name: String { "console" }

    /// A write after ``close()`` is counted (``Diagnostics/writesAfterClose``) and still written: the process's
    /// standard streams outlive the pipeline, and a line logged during shutdown is worth keeping.
    public func write(_ line: UnsafeRawBufferPointer, level: Logger.Level, storageClass: StorageClass) {
        let toStderr = streams.stderrFrom.map { level >= $0 } ?? false
        let fd = toStderr ? stderrFD : stdoutFD
        let failure: Int32?
        switch format {
        case .json:
            failure = lock.withLock { state in write(line, to: fd, state) }
        case .text:
            var rendered = TextRenderer(colour: toStderr ? colourStderr : colourStdout).render(line: line) + "\n"
            failure = rendered.withUTF8 { bytes in lock.withLock { state in write(.init(bytes), to: fd, state) } }
        }
        if let failure { report(failure, fd: fd) }
    }

    /// One line, under the lock that also says whether the sink was closed.
    private func write(_ bytes: UnsafeRawBufferPointer, to fd: Int32, _ state: ReportedFailure) -> Int32? {
        if state.closed { diagnostics.countWriteAfterClose() }
        return FileDescriptorIO.writeAll(fd, bytes)
    }

    private func report(_ code: Int32, fd: Int32) {
        diagnostics.countSinkFailure()
        let isNew = lock.withLock { state in
            defer { state.lastErrno = code }
            return state.lastErrno != code
        }
        // Reporting a failing stderr on stderr would fail too; stay quiet then.
        if isNew && fd != 2 { FileDescriptorIO.reportToStderr("console sink: write failed: \(FileDescriptorIO.describe(code))") }
    }

    public func flush() {}
    public func close() { lock.withLock { $0.closed = true } }
}
