public import Logging

/// A tool or model call in progress, as returned by ``Logging/Logger/toolCallStarted(_:provider:model:callID:input:metadata:file:function:line:)``
/// and passed to its `ended` or `failed` event, which then carry the same ids and the call's `duration_ms`.
public struct ToolCall: Sendable {
    public let tool: String
    public let callID: String
    public let provider: String?
    public let model: String?
    let start: ContinuousClock.Instant

    var metadata: Logger.Metadata {
        var fields: Logger.Metadata = ["tool": .string(tool), "call_id": .string(callID)]
        if let provider { fields["provider"] = .string(provider) }
        if let model { fields["model"] = .string(model) }
        return fields
    }
}

extension Logger {
    /// Writes `usage.recorded` in storage class `cost` (never sampled or dropped): the tokens and cost of one
    /// model call.
    public func recordUsage(
        provider: String, model: String, tokensPrompt: Int, tokensResponse: Int, costUSD: Double,
        metadata: Logger.Metadata = [:], file: String = #fileID, function: String = #function, line: UInt = #line
    ) {
        var fields = metadata
        fields["provider"] = .string(provider)
        fields["model"] = .string(model)
        fields["tokens_prompt"] = .stringConvertible(tokensPrompt)
        fields["tokens_response"] = .stringConvertible(tokensResponse)
        fields["cost_usd"] = .stringConvertible(costUSD)
        log(EventCatalogue.usageRecorded, "model usage", metadata: fields, file: file, function: function, line: line)
    }

    /// Writes `tool_call.started`: the tool, the provider and model when it is a model call, and the input's size
    /// and hash — never its content. Pass the returned ``ToolCall`` to ``toolCallEnded(_:output:metadata:file:function:line:)``
    /// or ``toolCallFailed(_:error:metadata:file:function:line:)``.
    public func toolCallStarted(
        _ tool: String, provider: String? = nil, model: String? = nil, callID: String? = nil,
        input: PayloadSummary? = nil, metadata: Logger.Metadata = [:], file: String = #fileID,
        function: String = #function, line: UInt = #line
    ) -> ToolCall {
        let call = ToolCall(tool: tool, callID: callID ?? CorrelationRandom.hex16(), provider: provider, model: model, start: .now)
        var fields = metadata.merging(call.metadata) { _, new in new }
        input?.add(as: "input", to: &fields)
        log(EventCatalogue.toolCallStarted, "tool call started: \(tool)", metadata: fields, file: file,
            function: function, line: line)
        return call
    }

    /// Writes `tool_call.ended` with `duration_ms` and the output's size and hash.
    public func toolCallEnded(
        _ call: ToolCall, output: PayloadSummary? = nil, metadata: Logger.Metadata = [:], file: String = #fileID,
        function: String = #function, line: UInt = #line
    ) {
        var fields = metadata.merging(call.metadata) { _, new in new }
        fields["duration_ms"] = .stringConvertible((ContinuousClock.now - call.start).inMilliseconds)
        output?.add(as: "output", to: &fields)
        log(EventCatalogue.toolCallEnded, "tool call ended: \(call.tool)", metadata: fields, file: file,
            function: function, line: line)
    }

    /// Writes `tool_call.failed` at ERROR with `duration_ms` and the error (its type and message, and
    /// `error_code` / `retryable` when it is a ``ClassifiedError``).
    public func toolCallFailed(
        _ call: ToolCall, error: any Error, metadata: Logger.Metadata = [:], file: String = #fileID,
        function: String = #function, line: UInt = #line
    ) {
        var fields = metadata.merging(call.metadata) { _, new in new }
        fields["duration_ms"] = .stringConvertible((ContinuousClock.now - call.start).inMilliseconds)
        log(EventCatalogue.toolCallFailed, "tool call failed: \(call.tool)", error: error, metadata: fields,
            file: file, function: function, line: line)
    }
}
