#if canImport(Glibc)
import Glibc
#endif
import Keel
import KeelTesting
import Logging
import Testing

@Suite struct ScopeTests {
    struct QuotaExceeded: ClassifiedError {
        var errorCode: String { "quota_exceeded" }
        var isRetryable: Bool? { false }
    }

    @Test func anOperationWritesStartedAndEndedWithDurationAndOutcome() throws {
        let logging = TestLogging()
        let logger = logging.logger()
        let value = Keel.operation("billing.render", logger: logger, metadata: ["invoice": "inv_1"]) { 42 }
        #expect(value == 42)
        let events = try logging.sink.events()
        #expect(events.map { $0["event"]?.stringValue } == ["operation.started", "operation.ended"])
        let ended = events[1]
        #expect(ended["context"]?["operation"]?.stringValue == "billing.render")
        #expect(ended["context"]?["outcome"]?.stringValue == "ok")
        #expect(ended["context"]?["invoice"]?.stringValue == "inv_1")
        #expect((ended["duration_ms"]?.doubleValue ?? -1) >= 0)
        #expect(ended["level"]?.stringValue == "INFO")
        #expect(events[0]["context"]?["operation_id"] == ended["context"]?["operation_id"])
    }

    @Test func durationsAreMilliseconds() throws {
        #expect(Duration.milliseconds(1500).inMilliseconds == 1500)
        #expect(Duration.microseconds(250).inMilliseconds == 0.25)
        #expect(Duration.seconds(2).inMilliseconds == 2000)
        let logging = TestLogging()
        // A synchronous nap: an async sleep could wait far longer for a thread when the whole suite runs at once.
        Keel.operation("nap", logger: logging.logger()) { usleep(50_000) }
        let duration = try #require(try logging.sink.events().last?["duration_ms"]?.doubleValue)
        #expect(duration >= 50 && duration < 5000, "\(duration)")
    }

    @Test func aThrownErrorIsLoggedWithItsClassificationAndRethrown() throws {
        let logging = TestLogging()
        let logger = logging.logger()
        #expect(throws: QuotaExceeded.self) {
            try Keel.operation("upload", logger: logger) { throw QuotaExceeded() }
        }
        let ended = try #require(try logging.sink.events().last)
        #expect(ended["event"]?.stringValue == "operation.ended")
        #expect(ended["level"]?.stringValue == "ERROR")
        #expect(ended["context"]?["outcome"]?.stringValue == "error")
        #expect(ended["error_code"]?.stringValue == "quota_exceeded")
        #expect(ended["retryable"] == .bool(false))
        #expect(ended["error"]?["type"]?.stringValue?.hasSuffix("QuotaExceeded") == true)
    }

    @Test func nestedOperationsRecordTheirParentAcrossAwaits() async throws {
        let logging = TestLogging()
        let logger = logging.logger()
        try await Keel.operation("outer", logger: logger) {
            try await Task.sleep(for: .milliseconds(1))
            await Keel.operation("inner", logger: logger) { await Task.yield() }
        }
        let events = try logging.sink.events()
        #expect(events.map { $0["event"]?.stringValue } == ["operation.started", "operation.started", "operation.ended", "operation.ended"])
        let outerID = events[0]["context"]?["operation_id"]
        #expect(outerID != nil)
        #expect(events[0]["context"]?["parent_operation_id"] == nil)
        #expect(events[1]["context"]?["parent_operation_id"] == outerID)
        #expect(events[2]["context"]?["operation"]?.stringValue == "inner")
    }

    @Test func cancellationIsAnOutcomeOfItsOwn() async throws {
        let logging = TestLogging()
        let logger = logging.logger()
        let task = Task {
            try await Keel.operation("slow", logger: logger) { try await Task.sleep(for: .seconds(30)) }
        }
        task.cancel()
        _ = await task.result
        let ended = try #require(try logging.sink.events().last)
        #expect(ended["context"]?["outcome"]?.stringValue == "cancelled")
        #expect(ended["level"]?.stringValue == "NOTICE")
        #expect(ended["error"] == nil)
    }

    @Test func aFlowAndItsStepsPutRunFlowAndStepIdsOnEveryLineInside() async throws {
        let logging = TestLogging()
        let logger = logging.logger()
        try await Keel.flow("research", runID: "run_7", logger: logger) {
            Keel.step("plan", logger: logger) { logger.agentDecision("search_first", reason: "cold cache", options: 3) }
            try await Keel.step("search", stepID: "s_2", logger: logger) {
                try await Task.sleep(for: .milliseconds(1))
                logger.info("searching")
            }
        }
        logger.info("after the run")
        let events = try logging.sink.events()
        #expect(events.map { $0["event"]?.stringValue } == [
            "flow.started", "step.started", "agent.decision", "step.ended", "step.started", "log", "step.ended",
            "flow.ended", "log",
        ])
        let inside = events.dropLast()
        #expect(inside.allSatisfy { $0["run_id"]?.stringValue == "run_7" })
        #expect(Set(inside.compactMap { $0["flow_id"]?.stringValue }).count == 1)
        #expect(events[5]["step_id"]?.stringValue == "s_2")
        #expect(events[2]["context"]?["decision"]?.stringValue == "search_first")
        #expect(events[2]["context"]?["options"] == .number("3"))
        #expect(events[0]["step_id"] == nil)
        #expect(events.last?["run_id"] == nil, "the ids end with the flow")
    }
}
