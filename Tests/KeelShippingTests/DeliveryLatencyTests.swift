@testable import KeelShipping
import Testing

/// The latency from a line's write to its acknowledgement, fed times: quantiles by the millisecond, lines read back
/// from the spool not counted, lines dropped forgotten, the oldest waiting line's age.
struct DeliveryLatencyTests {
    static let ms: UInt64 = 1_000_000

    @Test func quantilesOfAcknowledgedLines() {
        var latency = DeliveryLatency(recovered: 2)
        #expect(latency.quantile(0.99) == nil)
        latency.wrote(3, at: 100 * Self.ms)
        latency.wrote(1, at: 150 * Self.ms)
        // The two recovered lines and two of the three: only the latter are timed.
        latency.acknowledged(4, at: 105 * Self.ms)
        #expect(latency.count == 2 && latency.quantile(0.5) == 5)
        #expect(latency.oldestWaiting(now: 110 * Self.ms) == 10)
        latency.forgot(1)
        #expect(latency.oldestWaiting(now: 160 * Self.ms) == 10, "the line written at 150 ms is the oldest now")
        latency.acknowledged(1, at: 1_150 * Self.ms)
        #expect(latency.quantile(0.5) == 5 && latency.quantile(1) == 1_000 && latency.count == 3)
        latency.wrote(1, at: 0)
        latency.acknowledged(1, at: 60_000 * Self.ms)
        #expect(latency.quantile(1) == 10_000, "past 10 s, counted together")
        #expect(latency.oldestWaiting(now: 0) == nil)
    }

    @Test func linesWrittenInOneMillisecondAreOneRunSoAnOutageCostsLittleMemory() {
        var latency = DeliveryLatency()
        // 100,000 lines over 10 ms, one at a time: ten runs, not 100,000 times.
        for n in 0..<100_000 { latency.wrote(at: UInt64(n / 10_000) * Self.ms + UInt64(n % 10_000)) }
        #expect(latency.runs.count == 10)
        #expect(latency.oldestWaiting(now: 20 * Self.ms) == 20)
        // Acknowledged across runs, part of one: each line timed from its own run.
        latency.acknowledged(15_000, at: 30 * Self.ms)
        #expect(latency.count == 15_000 && latency.quantile(0.5) == 30 && latency.quantile(1) == 30)
        #expect(latency.oldestWaiting(now: 30 * Self.ms) == 29, "half of the second run still waits")
        latency.forgot(5_000)
        #expect(latency.oldestWaiting(now: 30 * Self.ms) == 28)
        latency.acknowledged(80_000, at: 40 * Self.ms)
        #expect(latency.count == 95_000 && latency.oldestWaiting(now: 50 * Self.ms) == nil)
        // A line written after everything left starts a run of its own.
        latency.wrote(at: 9 * Self.ms)
        #expect(latency.oldestWaiting(now: 10 * Self.ms) == 1)
    }
}
