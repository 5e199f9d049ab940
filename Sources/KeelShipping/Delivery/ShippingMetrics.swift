import CoreMetrics

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
}
