import Foundation
import Keel
@testable import KeelShipping
import Logging
import MetricsTestKit
import Testing

/// A sink whose server is down reports it in swift-metrics: attempts retried, lines waiting in the spool and its
/// bytes, the oldest line's age.
struct ShippingMetricsTests {
    @Test func aServerThatIsDownShowsInTheMetrics() async throws {
        let spool = FileManager.default.temporaryDirectory.appendingPathComponent("keel-ship-metrics-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: spool) }
        let metrics = TestMetrics()
        var options = ShippingOptions(spoolDirectory: spool)
        options.spoolsOperationalLines = true
        options.retryInitial = .milliseconds(20)
        options.retryMaximum = .milliseconds(50)
        options.timeout = .milliseconds(300)
        options.flushTimeout = .milliseconds(300)
        // Port 9 (discard) on 127.0.0.1: nothing answers there in the tests' sandboxes.
        let sink = try ShippingSink(
            destination: ShippingDestination(url: "http://127.0.0.1:9"), options: options, classes: Set(StorageClass.all),
            metricsFactory: metrics)
        for n in 0..<10 {
            Array(#"{"event_id":"m-\#(n)","message":"waits"}"#.utf8).withUnsafeBytes { sink.write($0, level: .info, storageClass: .ops) }
        }
        let dimensions = [("sink", "ship:keel:127.0.0.1")]
        for _ in 0..<100 where ((try? metrics.expectCounter("keel_ship_retries_total", dimensions).totalValue) ?? 0) < 2 {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(try metrics.expectCounter("keel_ship_retries_total", dimensions).totalValue >= 2)
        #expect(try metrics.expectGauge("keel_ship_spool_lines", dimensions).lastValue == 10)
        #expect(try metrics.expectGauge("keel_ship_spool_bytes", dimensions).lastValue ?? 0 > 0)
        #expect(try metrics.expectGauge("keel_ship_oldest_waiting_seconds", dimensions).lastValue ?? -1 >= 0)
        #expect(sink.oldestWaitingMilliseconds ?? -1 >= 0 && sink.statistics.sent == 0)
        sink.close()
    }
}
