import KeelStore
import Prometheus
import Synchronization

/// What `GET /metrics` reports, in Prometheus' text format (swift-prometheus): events ingested by format, events
/// refused by reason, bytes received, store size, damaged blocks and failed flushes, open tails, query latency.
public final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let store: any LogStore
    private let storeBytes: Gauge
    private let damage: StoreDamage
    private let damagedBlocks: Gauge
    private let flushFailures: Gauge
    let tailClients: Gauge
    let receivedBytes: Counter
    let queryLatency: DurationHistogram

    init(store: any LogStore, damage: StoreDamage) {
        self.store = store
        self.damage = damage
        storeBytes = registry.makeGauge(name: "keel_store_bytes", help: "Bytes the store holds on disk.")
        damagedBlocks = registry.makeGauge(
            name: "keel_store_damaged_blocks", help: "Blocks that failed their checksum since the server started; their events are skipped.")
        flushFailures = registry.makeGauge(
            name: "keel_store_flush_failures",
            help: "Flushes of a head into a block that failed since the server started; their events stay in the head and its log.")
        tailClients = registry.makeGauge(name: "keel_tail_clients", help: "Open live tails.")
        receivedBytes = registry.makeCounter(name: "keel_ingest_bytes_total", help: "Request body bytes received by ingest, as sent.")
        queryLatency = registry.makeDurationHistogram(
            name: "keel_query_duration_seconds",
            buckets: [.milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
                      .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5)],
            help: "Time to answer /v1/events, /v1/timeline and export pages.")
    }

    func ingested(_ count: Int, format: String, duplicates: Int) {
        registry.makeCounter(name: "keel_ingest_events_total", labels: [("format", format)], help: "Events stored.")
            .increment(by: Int64(count))
        if duplicates > 0 {
            registry.makeCounter(name: "keel_ingest_duplicates_total", labels: [("format", format)], help: "Events skipped as already stored (a retried batch).")
                .increment(by: Int64(duplicates))
        }
    }

    /// Requests refused whole, and records refused alone, by reason.
    func rejected(reason: String, count: Int = 1) {
        registry.makeCounter(
            name: "keel_ingest_rejected_total", labels: [("reason", reason)], help: "Requests and records refused, by reason."
        ).increment(by: Int64(count))
    }

    /// Alert notifications that reached their receiver, were tried again, or were given up, by receiver kind.
    func notified(_ kind: AlertReceiver.Kind, outcome: String) {
        registry.makeCounter(
            name: "keel_alert_notifications_total", labels: [("receiver", kind.rawValue), ("outcome", outcome)],
            help: "Attempts to send alert notifications, by receiver kind and outcome (delivered, retried, failed)."
        ).increment()
    }

    /// Alert notifications dropped from a full queue.
    func notificationsDropped(_ count: Int) {
        let counter = registry.makeCounter(
            name: "keel_alert_notifications_dropped_total", help: "Alert notifications dropped because the queue was full.")
        if count > 0 { counter.increment(by: Int64(count)) }
    }

    /// The text exposition, with the store's size read now.
    func exposition() -> [UInt8] {
        storeBytes.set(Double(store.sizeInBytes()))
        damagedBlocks.set(Double(damage.blocks))
        flushFailures.set(Double(damage.flushFailures))
        return registry.emitToBuffer()
    }
}
