import CoreMetrics
import Synchronization

/// A shipping sink's counters and gauges in swift-metrics (whatever backend the application bootstrapped: Prometheus,
/// StatsD, OpenTelemetry), each with the sink's name as dimension `sink`: lines sent, attempts retried, lines dropped
/// and dead-lettered, and the spool's bytes, waiting lines and the age of its oldest line.
final class ShippingMetrics: Sendable {
    let sent: Counter
    let retried: Counter
    let dropped: Counter
    let deadLettered: Counter
    let spoolBytes: Gauge
    let waiting: Gauge
    let oldestWaiting: Gauge
    /// Each lane's spool bytes, waiting lines and oldest wait (ms), summed (the oldest: the largest) into the gauges.
    private let lanes = Mutex<[Int: (bytes: Int, waiting: Int, oldest: Int)]>([:])

    init(sink: String, factory: any MetricsFactory) {
        let dimensions = [("sink", sink)]
        sent = Counter(label: "keel_ship_lines_sent_total", dimensions: dimensions, factory: factory)
        retried = Counter(label: "keel_ship_retries_total", dimensions: dimensions, factory: factory)
        dropped = Counter(label: "keel_ship_lines_dropped_total", dimensions: dimensions, factory: factory)
        deadLettered = Counter(label: "keel_ship_lines_dead_lettered_total", dimensions: dimensions, factory: factory)
        spoolBytes = Gauge(label: "keel_ship_spool_bytes", dimensions: dimensions, factory: factory)
        waiting = Gauge(label: "keel_ship_spool_lines", dimensions: dimensions, factory: factory)
        oldestWaiting = Gauge(label: "keel_ship_oldest_waiting_seconds", dimensions: dimensions, factory: factory)
    }

    /// A lane of the sink (``ShippingSink``'s operational or durable buffer) as it is now: the gauges show the sink's
    /// totals.
    func report(lane: Int, bytes: Int, waiting lines: Int, oldestMilliseconds: Int?) {
        let total = lanes.withLock { lanes in
            lanes[lane] = (bytes, lines, oldestMilliseconds ?? 0)
            return lanes.values.reduce((bytes: 0, waiting: 0, oldest: 0)) { ($0.bytes + $1.bytes, $0.waiting + $1.waiting, max($0.oldest, $1.oldest)) }
        }
        spoolBytes.record(total.bytes)
        waiting.record(total.waiting)
        oldestWaiting.record(Double(total.oldest) / 1000)
    }
}
