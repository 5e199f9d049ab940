public import Logging

/// What a scope ended with, as written in `outcome`.
public enum ScopeOutcome: String, Sendable {
    case ok, error, cancelled

    init(_ error: (any Error)?) {
        switch error {
        case nil: self = .ok
        case is CancellationError: self = .cancelled
        default: self = .error
        }
    }
}

/// One running scope — an operation, a flow or a step: the one mechanism behind ``Keel/operation(_:logger:level:metadata:_:)``,
/// ``Keel/flow(_:runID:flowID:logger:level:metadata:_:)`` and ``Keel/step(_:stepID:logger:level:metadata:_:)``.
///
/// It writes the `started` event, and when the body returns or throws the `ended` event with `duration_ms`,
/// `outcome` and, for a thrown error, the error itself (type, message, and `error_code` / `retryable` when it is a
/// ``ClassifiedError``); the error is then rethrown unchanged. The sync and async entry points differ only in how
/// they call the body.
struct Scope {
    let started: EventKind
    let ended: EventKind
    let name: String
    let logger: Logger
    let level: Logger.Level
    /// The scope's own metadata (its name and ids) over the caller's.
    let metadata: Logger.Metadata
    let start: ContinuousClock.Instant

    init(
        started: EventKind, ended: EventKind, nameKey: String, name: String, logger: Logger, level: Logger.Level,
        metadata: Logger.Metadata, own: Logger.Metadata
    ) {
        self.started = started
        self.ended = ended
        self.name = name
        self.logger = logger
        self.level = level
        var merged = metadata
        merged[nameKey] = .string(name)
        merged.merge(own) { _, new in new }
        self.metadata = merged
        self.start = .now
    }

    func begin(file: String, function: String, line: UInt) {
        logger.log(
            started, "\(started.name) \(name)", level: level, metadata: metadata, file: file, function: function,
            line: line)
    }

    func end(_ error: (any Error)?, file: String, function: String, line: UInt) {
        let outcome = ScopeOutcome(error)
        var fields = metadata
        fields["duration_ms"] = .stringConvertible((ContinuousClock.now - start).inMilliseconds)
        fields["outcome"] = .string(outcome.rawValue)
        let endLevel: Logger.Level =
            switch outcome {
            case .ok: level
            case .cancelled: max(level, .notice)
            case .error: max(level, .error)
            }
        logger.log(
            ended, "\(ended.name) \(name)", level: endLevel, error: outcome == .error ? error : nil, metadata: fields,
            file: file, function: function, line: line)
    }

    /// Runs a synchronous body inside the scope.
    func run<R>(file: String, function: String, line: UInt, _ body: () throws -> R) rethrows -> R {
        begin(file: file, function: function, line: line)
        do {
            let result = try body()
            end(nil, file: file, function: function, line: line)
            return result
        } catch {
            end(error, file: file, function: function, line: line)
            throw error
        }
    }

    /// Runs an asynchronous body inside the scope.
    func run<R>(
        isolation: isolated (any Actor)?, file: String, function: String, line: UInt, _ body: () async throws -> R
    ) async rethrows -> R {
        begin(file: file, function: function, line: line)
        do {
            let result = try await body()
            end(nil, file: file, function: function, line: line)
            return result
        } catch {
            end(error, file: file, function: function, line: line)
            throw error
        }
    }
}
