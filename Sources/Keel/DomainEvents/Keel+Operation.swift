public import Logging

/// The operation the current task is inside, so that a nested operation can name its parent.
enum OperationScope {
    @TaskLocal static var currentID: String?
}

extension Keel {
    /// Runs `body` as a named operation: writes `operation.started`, then `operation.ended` with `duration_ms` and
    /// `outcome`. A thrown error is written with the `ended` event at ERROR — its type and message, and `error_code`
    /// and `retryable` when it adopts ``ClassifiedError`` — and rethrown unchanged. An operation started inside
    /// another records it as `parent_operation_id`.
    ///
    /// ```swift
    /// let invoice = try Keel.operation("billing.render_invoice") { try renderer.render(order) }
    /// ```
    ///
    /// - Parameters:
    ///   - logger: where the events go; the task's logger (`Logger.current`) unless given.
    ///   - metadata: written on both events (under `context` unless a key names a canonical field).
    @discardableResult
    public static func operation<R>(
        _ name: String, logger: Logger = Logger.current, level: Logger.Level = .info, metadata: Logger.Metadata = [:],
        file: String = #fileID, function: String = #function, line: UInt = #line, _ body: () throws -> R
    ) rethrows -> R {
        let (scope, id) = operationScope(name, logger: logger, level: level, metadata: metadata)
        return try OperationScope.$currentID.withValue(id) {
            try scope.run(file: file, function: function, line: line, body)
        }
    }

    /// Runs `body` as a named operation (async); see the synchronous form.
    @discardableResult
    public static func operation<R>(
        _ name: String, logger: Logger = Logger.current, level: Logger.Level = .info, metadata: Logger.Metadata = [:],
        isolation: isolated (any Actor)? = #isolation, file: String = #fileID, function: String = #function,
        line: UInt = #line, _ body: () async throws -> R
    ) async rethrows -> R {
        let (scope, id) = operationScope(name, logger: logger, level: level, metadata: metadata)
        return try await OperationScope.$currentID.withValue(id, operation: {
            try await scope.run(isolation: isolation, file: file, function: function, line: line, body)
        }, isolation: isolation)
    }

    private static func operationScope(
        _ name: String, logger: Logger, level: Logger.Level, metadata: Logger.Metadata
    ) -> (Scope, String) {
        let id = CorrelationRandom.hex16()
        var own: Logger.Metadata = ["operation_id": .string(id)]
        if let parent = OperationScope.currentID { own["parent_operation_id"] = .string(parent) }
        let scope = Scope(
            started: EventCatalogue.operationStarted, ended: EventCatalogue.operationEnded, nameKey: "operation",
            name: name, logger: logger, level: level, metadata: metadata, own: own)
        return (scope, id)
    }
}
