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
    public var requestID: String?
    public var traceID: String?
    public var spanID: String?
    public var parentSpanID: String?
    public var tenantID: String?
    public var projectID: String?
    public var appID: String?
    public var surface: String?
    public var userID: String?
    public var sessionID: String?
    public var runID: String?
    public var flowID: String?
    public var stepID: String?

    public init(
        requestID: String? = nil, traceID: String? = nil, spanID: String? = nil, parentSpanID: String? = nil,
        tenantID: String? = nil, projectID: String? = nil, appID: String? = nil, surface: String? = nil,
        userID: String? = nil, sessionID: String? = nil,
        runID: String? = nil, flowID: String? = nil, stepID: String? = nil
    ) {
        self.requestID = requestID
        self.traceID = traceID
        self.spanID = spanID
        self.parentSpanID = parentSpanID
        self.tenantID = tenantID
        self.projectID = projectID
        self.appID = appID
        self.surface = surface
        self.userID = userID
        self.sessionID = sessionID
        self.runID = runID
        self.flowID = flowID
        self.stepID = stepID
    }

    /// The context of the current task; empty outside any ``withLogContext(_:operation:)-(LogContext,_)``.
    @TaskLocal public static var current = LogContext()

    /// The canonical fields a context can carry, in output order.
    public static let fields: [FieldID] = [
        .requestID, .traceID, .spanID, .parentSpanID, .tenantID, .projectID, .appID, .surface, .userID,
        .sessionID, .runID, .flowID, .stepID,
    ]

    /// The value of one of ``fields``; `nil` for a field a context does not carry.
    public subscript(field: FieldID) -> String? {
        get {
            switch field {
            case .requestID: requestID
            case .traceID: traceID
            case .spanID: spanID
            case .parentSpanID: parentSpanID
            case .tenantID: tenantID
            case .projectID: projectID
            case .appID: appID
            case .surface: surface
            case .userID: userID
            case .sessionID: sessionID
            case .runID: runID
            case .flowID: flowID
            case .stepID: stepID
            default: nil
            }
        }
        set {
            switch field {
            case .requestID: requestID = newValue
            case .traceID: traceID = newValue
            case .spanID: spanID = newValue
            case .parentSpanID: parentSpanID = newValue
            case .tenantID: tenantID = newValue
            case .projectID: projectID = newValue
            case .appID: appID = newValue
            case .surface: surface = newValue
            case .userID: userID = newValue
            case .sessionID: sessionID = newValue
            case .runID: runID = newValue
            case .flowID: flowID = newValue
            case .stepID: stepID = newValue
            default: break
            }
        }
    }

    /// Whether no id is set.
    public var isEmpty: Bool { self == LogContext() }

    /// This context with every id that `other` sets taken from `other`.
    public func merging(_ other: LogContext) -> LogContext {
        var merged = self
        for field in Self.fields {
            if let value = other[field] { merged[field] = value }
        }
        return merged
    }

    /// Calls `body` with each set field, in output order.
    @inline(__always)
    public func forEachField(_ body: (FieldID, String) -> Void) {
        if let v = requestID { body(.requestID, v) }
        if let v = traceID { body(.traceID, v) }
        if let v = spanID { body(.spanID, v) }
        if let v = parentSpanID { body(.parentSpanID, v) }
        if let v = tenantID { body(.tenantID, v) }
        if let v = projectID { body(.projectID, v) }
        if let v = appID { body(.appID, v) }
        if let v = surface { body(.surface, v) }
        if let v = userID { body(.userID, v) }
        if let v = sessionID { body(.sessionID, v) }
        if let v = runID { body(.runID, v) }
        if let v = flowID { body(.flowID, v) }
        if let v = stepID { body(.stepID, v) }
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
