public import Logging

extension Keel {
    /// Runs `body` as a flow of a multi-step run: every line written inside it carries `run_id` and `flow_id` (set
    /// in the task's ``LogContext``), and `flow.started` / `flow.ended` (with `duration_ms` and `outcome`) frame it.
    ///
    /// - Parameters:
    ///   - runID: the run this flow belongs to; the enclosing context's run, or a new id.
    ///   - flowID: this flow's id; a new one unless given.
    @discardableResult
    public static func flow<R>(
        _ name: String, runID: String? = nil, flowID: String? = nil, logger: Logger = Logger.current,
        level: Logger.Level = .info, metadata: Logger.Metadata = [:], file: String = #fileID,
        function: String = #function, line: UInt = #line, _ body: () throws -> R
    ) rethrows -> R {
        let (scope, context) = flowScope(name, runID, flowID, logger, level, metadata)
        return try withLogContext(context) { try scope.run(file: file, function: function, line: line, body) }
    }

    /// Runs `body` as a flow of a multi-step run (async); see the synchronous form.
    @discardableResult
    public static func flow<R>(
        _ name: String, runID: String? = nil, flowID: String? = nil, logger: Logger = Logger.current,
        level: Logger.Level = .info, metadata: Logger.Metadata = [:], isolation: isolated (any Actor)? = #isolation,
        file: String = #fileID, function: String = #function, line: UInt = #line, _ body: () async throws -> R
    ) async rethrows -> R {
        let (scope, context) = flowScope(name, runID, flowID, logger, level, metadata)
        return try await withLogContext(context, isolation: isolation) {
            try await scope.run(isolation: isolation, file: file, function: function, line: line, body)
        }
    }

    /// Runs `body` as one step of the current flow: lines inside carry `step_id` as well, and `step.started` /
    /// `step.ended` frame it.
    @discardableResult
    public static func step<R>(
        _ name: String, stepID: String? = nil, logger: Logger = Logger.current, level: Logger.Level = .info,
        metadata: Logger.Metadata = [:], file: String = #fileID, function: String = #function, line: UInt = #line,
        _ body: () throws -> R
    ) rethrows -> R {
        let (scope, context) = stepScope(name, stepID, logger, level, metadata)
        return try withLogContext(context) { try scope.run(file: file, function: function, line: line, body) }
    }

    /// Runs `body` as one step of the current flow (async); see the synchronous form.
    @discardableResult
    public static func step<R>(
        _ name: String, stepID: String? = nil, logger: Logger = Logger.current, level: Logger.Level = .info,
        metadata: Logger.Metadata = [:], isolation: isolated (any Actor)? = #isolation, file: String = #fileID,
        function: String = #function, line: UInt = #line, _ body: () async throws -> R
    ) async rethrows -> R {
        let (scope, context) = stepScope(name, stepID, logger, level, metadata)
        return try await withLogContext(context, isolation: isolation) {
            try await scope.run(isolation: isolation, file: file, function: function, line: line, body)
        }
    }

    private static func flowScope(
        _ name: String, _ runID: String?, _ flowID: String?, _ logger: Logger, _ level: Logger.Level,
        _ metadata: Logger.Metadata
    ) -> (Scope, LogContext) {
        var context = LogContext()
        context.runID = runID ?? LogContext.current.runID ?? CorrelationRandom.hex16()
        context.flowID = flowID ?? CorrelationRandom.hex16()
        let scope = Scope(
            started: EventCatalogue.flowStarted, ended: EventCatalogue.flowEnded, nameKey: "flow", name: name,
            logger: logger, level: level, metadata: metadata, own: [:])
        return (scope, context)
    }

    private static func stepScope(
        _ name: String, _ stepID: String?, _ logger: Logger, _ level: Logger.Level, _ metadata: Logger.Metadata
    ) -> (Scope, LogContext) {
        var context = LogContext()
        context.stepID = stepID ?? CorrelationRandom.hex16()
        let scope = Scope(
            started: EventCatalogue.stepStarted, ended: EventCatalogue.stepEnded, nameKey: "step", name: name,
            logger: logger, level: level, metadata: metadata, own: [:])
        return (scope, context)
    }
}

extension Logger {
    /// Writes `agent.decision`: what an agent chose to do next, as a short label (`call_tool`, `answer`, `ask_user`),
    /// with an optional short reason and how many options it weighed. The run, flow and step ids come from the
    /// task's context. The reason goes through redaction like any string; keep prompts and outputs out of it.
    public func agentDecision(
        _ decision: String, reason: String? = nil, options: Int? = nil, metadata: Logger.Metadata = [:],
        file: String = #fileID, function: String = #function, line: UInt = #line
    ) {
        var fields = metadata
        fields["decision"] = .string(decision)
        if let reason { fields["reason"] = .string(reason) }
        if let options { fields["options"] = .stringConvertible(options) }
        log(EventCatalogue.agentDecision, "agent decided: \(decision)", metadata: fields, file: file,
            function: function, line: line)
    }
}
