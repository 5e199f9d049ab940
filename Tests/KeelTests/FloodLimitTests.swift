import Foundation
import Keel
import KeelTesting
import Logging
import Testing

@Suite struct FloodLimitTests {
    @Test func aFloodBecomesAFewEventsAndTheNextOneSaysHowManyWereLeftOut() throws {
        let logging = TestLogging { $0.floodLimit = (limit: 10, interval: .seconds(1)) }
        let logger = Logger(label: "t") { KeelLogHandler(label: $0, pipeline: logging.pipeline) }
        for n in 0..<1000 { logger.error("upstream timeout", metadata: ["n": .stringConvertible(n)]) }
        // Other names, and audit events, are not held back by this flood.
        logger.error("something else")
        logger.info("refund", metadata: ["storage_class": "audit"])
        #expect(logging.sink.lines.count == 12)
        #expect(logging.diagnostics.suppressed == 990)
        Thread.sleep(forTimeInterval: 1.05)
        logger.error("upstream timeout")
        let last = try JSONParser.parse(logging.sink.lines.last!)
        #expect(last["context"]?["suppressed"] == .number("990"))
        // Named events are limited by their name, whatever their message.
        for n in 0..<50 { logger.warning("retry \(n)", metadata: ["event": "http.retry"]) }
        #expect(logging.sink.lines.count == 13 + 10)
    }

    @Test func theEnvironmentSetsTheLimitAndRejectsNonsense() throws {
        let config = try KeelConfiguration.fromEnvironment(["LOG_FLOOD_LIMIT": "100/1s"])
        #expect(config.floodLimit?.limit == 100)
        #expect(config.floodLimit?.interval == .seconds(1))
        #expect(FloodLimiter("10/500ms")?.interval == .milliseconds(500))
        #expect(FloodLimiter("1000/1m")?.interval == .seconds(60))
        for bad in ["lots", "0/1s", "10/", "10/1h", "10/-1s"] {
            #expect(throws: ConfigurationError.self, "\(bad)") { try KeelConfiguration.fromEnvironment(["LOG_FLOOD_LIMIT": bad]) }
        }
    }
}
