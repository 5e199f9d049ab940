import Logging

/// The parts of a swift-log call that its line is built from: level, message, metadata, error, and — only for the
/// levels whose lines carry `source` — where the call was made.
///
/// Smaller than the `LogEvent` it comes from (which always carries its file, function and module strings): with
/// background delivery every call is copied into the queue and read by the writer on another core, and each cache
/// line it spans costs the calling thread a transfer.
struct LogCall: Sendable {
    var level: Logger.Level
    var message: Logger.Message
    var metadata: Logger.Metadata?
    var error: (any Error)?
    /// Set only when the encoder writes `source` for `level` (WARN and above by default).
    var source: CallSite?

    @inline(__always)
    init(_ event: borrowing LogEvent, sourceLocations: SourceLocationPolicy) {
        level = event.level
        message = event.message
        metadata = event.metadata
        error = event.error
        source =
            sourceLocations.includes(event.level)
            ? CallSite(module: event.source, file: event.file, function: event.function, line: event.line) : nil
    }
}

/// Where a call was made: boxed, so that calls at levels that do not write it carry one word, not four strings.
final class CallSite: Sendable {
    let module: String
    let file: String
    let function: String
    let line: UInt

    init(module: String, file: String, function: String, line: UInt) {
        self.module = module
        self.file = file
        self.function = function
        self.line = line
    }
}
