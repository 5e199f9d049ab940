import Keel
import KeelTesting
import Logging
import Testing

@Suite struct SamplingRatesTests {
    @Test func ratesByLevelAndByEventNameApplyAndWarningsAreNeverSampled() throws {
        let logging = TestLogging {
            $0.levelSampleRates = [.debug: 0]
            $0.eventSampleRates = ["http.request": 0, "cache.hit": 0.5]
            $0.level = .trace
        }
        let logger = Logger(label: "t") { KeelLogHandler(label: $0, pipeline: logging.pipeline, logLevel: .trace) }
        logger.debug("dropped by its level")
        logger.info("kept: the default rate is 1")
        logger.info("dropped by its name", metadata: ["event": "http.request"])
        logger.warning("kept: WARN is never sampled", metadata: ["event": "http.request"])
        logger.info("kept: audit is never sampled", metadata: ["event": "http.request", "storage_class": "audit"])
        #expect(logging.sink.lines.count == 3)
        #expect(logging.diagnostics.sampledOut == 2)
        // Decided per request: every line of a request shares the decision.
        logging.sink.removeAll()
        for request in 0..<200 {
            for _ in 0..<3 { logger.info("hit", metadata: ["event": "cache.hit", "request_id": "req-\(request)"]) }
        }
        let kept = try logging.sink.events().compactMap { $0["request_id"]?.stringValue }
        var perRequest: [String: Int] = [:]
        for id in kept { perRequest[id, default: 0] += 1 }
        #expect(perRequest.values.allSatisfy { $0 == 3 })
        #expect((60...140).contains(perRequest.count), "\(perRequest.count) of 200 requests kept at rate 0.5")
    }

    @Test func theEnvironmentSetsRatesAndRejectsNonsense() throws {
        let config = try KeelConfiguration.fromEnvironment(["LOG_SAMPLE_RATES": "debug=0.01, http.request=0.05"])
        #expect(config.levelSampleRates == [.debug: 0.01])
        #expect(config.eventSampleRates == ["http.request": 0.05])
        for bad in ["debug", "debug=2", "=0.5", "info=half"] {
            #expect(throws: ConfigurationError.self, "\(bad)") { try KeelConfiguration.fromEnvironment(["LOG_SAMPLE_RATES": bad]) }
        }
    }
}
