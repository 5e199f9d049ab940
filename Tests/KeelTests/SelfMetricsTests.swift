import Keel
import KeelTesting
import Logging
import MetricsTestKit
import Testing

@Suite struct SelfMetricsTests {
    @Test func countsAreReadableInCodeAndReportedThroughSwiftMetrics() throws {
        let metrics = TestMetrics()
        let diagnostics = Diagnostics(metricsFactory: metrics)
        let sink = InMemorySink()
        var config = KeelConfiguration()
        config.console = nil
        config.extraSinks = [sink]
        config.delivery = .synchronous
        config.sampleRate = 0
        let pipeline = try Keel.makePipeline(config, diagnostics: diagnostics)
        let logger = Logger(label: "t") { KeelLogHandler(label: $0, pipeline: pipeline) }
        logger.info("sampled out")
        logger.warning("mail ann@example.com")
        logger.info("refund", metadata: ["storage_class": "audit"])
        #expect(diagnostics.eventsWritten(.ops) == 1)
        #expect(diagnostics.eventsWritten(.audit) == 1)
        #expect(diagnostics.bytesWritten(.ops) == sink.lines[0].utf8.count)  // the line as handed over, newline included
        #expect(diagnostics.sampledOut == 1)
        #expect(try metrics.expectCounter("keel_events_written_total", [("class", "ops")]).totalValue == 1)
        #expect(try metrics.expectCounter("keel_events_written_total", [("class", "audit")]).totalValue == 1)
        #expect(try metrics.expectCounter("keel_bytes_written_total", [("class", "ops")]).totalValue == Int64(diagnostics.bytesWritten(.ops)))
        #expect(try metrics.expectCounter("keel_events_sampled_out_total", [("class", "ops")]).totalValue == 1)
        #expect(try metrics.expectCounter("keel_redactions_total", [("type", "EMAIL")]).totalValue == 1)
        // Per sink too, by its name.
        #expect(pipeline.router.linesWritten(to: "InMemorySink", .ops) == 1)
        #expect(pipeline.router.linesWritten(to: "InMemorySink", .audit) == 1)
        #expect(pipeline.router.bytesWritten(to: "InMemorySink", .ops) == diagnostics.bytesWritten(.ops))
        #expect(try metrics.expectCounter("keel_sink_lines_total", [("sink", "InMemorySink"), ("class", "audit")]).totalValue == 1)
    }
}
