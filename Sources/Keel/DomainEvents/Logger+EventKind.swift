public import Logging

extension Logger {
    /// Writes one event of a catalogue kind: its `event` name and storage class over `metadata`, at the kind's
    /// level unless `level` is given.
    ///
    /// ```swift
    /// logger.log(EventCatalogue.accessDenied, "export refused", metadata: ["user_id": "u_42", "resource": "export"])
    /// ```
    public func log(
        _ kind: EventKind, _ message: @autoclosure () -> Logger.Message, level: Logger.Level? = nil,
        error: (any Error)? = nil, metadata: Logger.Metadata = [:], file: String = #fileID,
        function: String = #function, line: UInt = #line
    ) {
        log(
            level: level ?? kind.level, message(), error: error,
            metadata: metadata.merging(kind.metadata) { _, catalogue in catalogue }, file: file, function: function,
            line: line)
    }
}
