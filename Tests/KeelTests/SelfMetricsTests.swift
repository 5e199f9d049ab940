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

/// A sink that sends lines elsewhere and reports how it is doing.
private final class ForwardingSink: LogSink, @unchecked Sendable {
    var lines = 0
    func write(_ line: UnsafeRawBufferPointer, level: Logger.Level, storageClass: StorageClass) { lines += 1 }
    func flush() {}
    func close() {}
    var name: String { "forward:test" }
    var deliveryStatus: DeliveryStatus? { DeliveryStatus(sink: name, sent: lines - 1, waitingLines: 1, oldestWaitingMilliseconds: 12) }
}

@Suite struct DeliveryStatusTests {
    @Test func diagnosticsListsHowEachDeliveringSinkIsDoingAndNoOtherSink() throws {
        let diagnostics = Diagnostics()
        let forwarding = ForwardingSink()
        var config = KeelConfiguration()
        config.console = nil
        config.extraSinks = [InMemorySink(), forwarding]
        config.delivery = .synchronous
        let pipeline = try Keel.makePipeline(config, diagnostics: diagnostics)
        let logger = Logger(label: "t") { KeelLogHandler(label: $0, pipeline: pipeline) }
        for n in 0..<5 { logger.info("line \(n)") }
        // Read when asked, not when the pipeline was built.
        #expect(diagnostics.deliveries == [DeliveryStatus(sink: "forward:test", sent: 4, waitingLines: 1, oldestWaitingMilliseconds: 12)])
        #expect(Diagnostics().deliveries.isEmpty)
    }
}
