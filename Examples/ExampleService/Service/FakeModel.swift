import Keel
import Logging

/// Stands in for a model provider: answers after a short delay and reports usage, like a real client would.
struct FakeModel: Sendable {
    let provider = "example-ai"
    let model = "example-small-1"

    /// A completion of `prompt`: a `tool_call` pair with the sizes and hashes of prompt and reply (never their
    /// text), and `usage.recorded` in storage class `cost`.
    func complete(_ prompt: String, logger: Logger) async throws -> String {
        let call = logger.toolCallStarted(
            "complete", provider: provider, model: model, input: PayloadSummary(prompt))
        try await Task.sleep(for: .milliseconds(2))
        let reply = "You said \(prompt.count) characters."
        let promptTokens = max(1, prompt.utf8.count / 4)
        let replyTokens = max(1, reply.utf8.count / 4)
        logger.recordUsage(
            provider: provider, model: model, tokensPrompt: promptTokens, tokensResponse: replyTokens,
            costUSD: Double(promptTokens + replyTokens) * 0.000_002)
        logger.toolCallEnded(call, output: PayloadSummary(reply))
        return reply
    }
}

/// A multi-step run: plan, search, answer — each a step of one flow, with the agent's decision in between.
struct ResearchRun: Sendable {
    let model: FakeModel

    func run(logger: Logger) async throws -> String {
        try await Keel.flow("research", logger: logger) {
            Keel.step("plan", logger: logger) {
                logger.agentDecision("search_first", reason: "no cached answer", options: 3)
            }
            let notes = try await Keel.step("search", logger: logger) {
                try await Keel.operation("search.index", logger: logger) {
                    try await Task.sleep(for: .milliseconds(1))
                    return "three documents"
                }
            }
            return try await Keel.step("answer", logger: logger) {
                try await model.complete("Summarise: \(notes)", logger: logger)
            }
        }
    }
}

