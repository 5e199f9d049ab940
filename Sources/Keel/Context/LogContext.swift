/// The ids an event belongs to, carried by the current task so that nobody has to pass them by hand.
///
/// Bind them with ``withLogContext(_:operation:)-(LogContext,_)``; every `Logger` used inside — the app's and any
/// library's — writes them on every line. The context flows through `await`, child tasks and task groups (it is a
/// task-local), and not into `Task.detached`.
///
/// ```swift
/// try await withLogContext(LogContext(requestID: id, tenantID: tenant)) {
///     logger.info("request handled")   // carries request_id and tenant_id
/// }
/// ```
public struct LogContext: Sendable, Hashable {
    /// The ids, shared between copies until one is changed: reading the task's context on every log call then
    /// costs one reference count, and an empty context (`nil`) none.
    private final class Storage: Sendable, Hashable {
        let values: [String?]

        init(_ values: [String?]) { self.values = values }

        static func == (a: Storage, b: Storage) -> Bool { a === b || a.values == b.values }
        func hash(into hasher: inout Hasher) { hasher.combine(values) }
    }

    private var storage: Storage?

    public init(
        requestID: String? = nil, traceID: String? = nil, spanID: String? = nil, parentSpanID: String? = nil,
        tenantID: String? = nil, projectID: String? = nil, appID: String? = nil, surface: String? = nil,
        userID: String? = nil, sessionID: String? = nil,
        runID: String? = nil, flowID: String? = nil, stepID: String? = nil
    ) {
        let values = [
            requestID, traceID, spanID, parentSpanID, tenantID, projectID, appID, surface, userID, sessionID, runID,
            flowID, stepID,
        ]
        storage = values.allSatisfy { $0 == nil } ? nil : Storage(values)
    }

    public var requestID: String? { get { self[.requestID] } set { self[.requestID] = newValue } }
    public var traceID: String? { get { self[.traceID] } set { self[.traceID] = newValue } }
    public var spanID: String? { get { self[.spanID] } set { self[.spanID] = newValue } }
    public var parentSpanID: String? { get { self[.parentSpanID] } set { self[.parentSpanID] = newValue } }
    public var tenantID: String? { get { self[.tenantID] } set { self[.tenantID] = newValue } }
    public var projectID: String? { get { self[.projectID] } set { self[.projectID] = newValue } }
    public var appID: String? { get { self[.appID] } set { self[.appID] = newValue } }
    public var surface: String? { get { self[.surface] } set { self[.surface] = newValue } }
    public var userID: String? { get { self[.userID] } set { self[.userID] = newValue } }
    public var sessionID: String? { get { self[.sessionID] } set { self[.sessionID] = newValue } }
    public var runID: String? { get { self[.runID] } set { self[.runID] = newValue } }
    public var flowID: String? { get { self[.flowID] } set { self[.flowID] = newValue } }
    public var stepID: String? { get { self[.stepID] } set { self[.stepID] = newValue } }

    /// The context of the current task; empty outside any ``withLogContext(_:operation:)-(LogContext,_)``.
    @TaskLocal public static var current = LogContext()

    /// The canonical fields a context can carry, in output order.
    public static let fields: [FieldID] = [
        .requestID, .traceID, .spanID, .parentSpanID, .tenantID, .projectID, .appID, .surface, .userID,
        .sessionID, .runID, .flowID, .stepID,
    ]

    /// The position of a context field in storage.
    @inline(__always)
    private static func slot(_ field: FieldID) -> Int? {
        let raw = Int(field.rawValue)
        let first = Int(FieldID.requestID.rawValue)
        let last = Int(FieldID.stepID.rawValue)
        return raw >= first && raw <= last ? raw - first : nil
    }

    /// The value of one of ``fields``; `nil` for a field a context does not carry.
    public subscript(field: FieldID) -> String? {
        get {
            guard let storage, let i = Self.slot(field) else { return nil }
            return storage.values[i]
        }
        set {
            guard let i = Self.slot(field) else { return }
            var values = storage?.values ?? Array(repeating: nil, count: Self.fields.count)
            values[i] = newValue
            storage = values.allSatisfy { $0 == nil } ? nil : Storage(values)
        }
    }

    /// Whether no id is set.
    @inline(__always)
    public var isEmpty: Bool { storage == nil }

    /// This context with every id that `other` sets taken from `other`.
    public func merging(_ other: LogContext) -> LogContext {
        guard let theirs = other.storage else { return self }
        guard let ours = storage else { return other }
        var merged = ours.values
        for (i, value) in theirs.values.enumerated() where value != nil { merged[i] = value }
        var result = LogContext()
        result.storage = Storage(merged)
        return result
    }

    /// Calls `body` with each set field, in output order.
    @inline(__always)
    public func forEachField(_ body: (FieldID, String) -> Void) {
        guard let storage else { return }
        let first = FieldID.requestID.rawValue
        for (i, value) in storage.values.enumerated() {
            if let value { body(FieldID.unchecked(first + UInt8(i)), value) }
        }
    }
}

/// Runs `operation` with `context` merged over the current task's context: ids it sets replace the outer ones,
/// ids it leaves `nil` are inherited.
@discardableResult
public func withLogContext<R>(_ context: LogContext, operation: () throws -> R) rethrows -> R {
    try LogContext.$current.withValue(LogContext.current.merging(context), operation: operation)
}

/// Runs `operation` with `context` merged over the current task's context (async).
@discardableResult
public func withLogContext<R>(
    _ context: LogContext,
    isolation: isolated (any Actor)? = #isolation,
    operation: () async throws -> R
) async rethrows -> R {
    let merged = LogContext.current.merging(context)
    return try await LogContext.$current.withValue(merged, operation: operation, isolation: isolation)
}
