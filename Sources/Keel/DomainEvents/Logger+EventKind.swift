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
        var metadata = metadata
        metadata["event"] = .string(kind.name)
        if kind.storageClass != .ops { metadata["storage_class"] = .string(kind.storageClass.name) }
        log(level: level ?? kind.level, message(), error: error, metadata: metadata, file: file, function: function, line: line)
    }
}
