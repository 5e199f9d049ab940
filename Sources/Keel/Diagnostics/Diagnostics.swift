public import CoreMetrics
import Synchronization

/// Counters of what Keel did with events: written and bytes per storage class, and what it moved, cut, sampled out,
/// suppressed, dropped, redacted or failed to write. Readable in code, and reported through swift-metrics
/// (``metricNames``) to whatever `MetricsSystem` was bootstrapped before Keel.
public final class Diagnostics: Sendable {
    private let reclassified = Atomic<Int>(0)
    private let truncated = Atomic<Int>(0)
    private let sampled = Atomic<Int>(0)
    private let failures = Atomic<Int>(0)
    private let afterClose = Atomic<Int>(0)
    private let droppedEvents = Atomic<Int>(0)
    private let suppressedEvents = Atomic<Int>(0)
    private let redactions = Mutex<[String: Int]>([:])
    /// The sinks that report a ``DeliveryStatus``, as the pipeline was built with them.
    private let delivering = Mutex<[any LogSink]>([])
    private let written = PerClass()
    private let writtenBytes = PerClass()
    private let metrics: SelfMetrics

    /// - Parameter metricsFactory: where the counters are reported; the bootstrapped `MetricsSystem` by default.
    public init(metricsFactory: (any MetricsFactory)? = nil) { metrics = SelfMetrics(factory: metricsFactory ?? MetricsSystem.factory) }

    /// Where the counters are reported (also the per-sink counters of ``SinkRouter``).
    var metricsFactory: any MetricsFactory { metrics.factory }

    /// The swift-metrics counters Keel reports (all with a `class` dimension where it applies; redactions with
    /// `type`).
    public static let metricNames = [
        "keel_events_written_total", "keel_bytes_written_total", "keel_events_dropped_total",
        "keel_events_sampled_out_total", "keel_events_suppressed_total", "keel_redactions_total",
        "keel_sink_failures_total",
    ]

    /// Events handed to the sinks, by storage class.
    public func eventsWritten(_ storageClass: StorageClass) -> Int { written.value(storageClass) }
    /// Bytes of lines handed to the sinks, by storage class.
    public func bytesWritten(_ storageClass: StorageClass) -> Int { writtenBytes.value(storageClass) }

    @inline(__always)
    func countWritten(_ storageClass: StorageClass, bytes: Int) {
        let i = Int(storageClass.code)
        written.add(1, storageClass)
        writtenBytes.add(bytes, storageClass)
        guard metrics.reports else { return }
        metrics.written[i].increment()
        metrics.bytes[i].increment(by: bytes)
    }

    /// Metadata values that named a canonical field but did not fit its type, or named a field only Keel sets;
    /// each was kept under `context` instead.
    public var reclassifiedFields: Int { reclassified.load(ordering: .relaxed) }
    /// Events whose strings were cut to keep the line under the maximum line size.
    public var truncatedEvents: Int { truncated.load(ordering: .relaxed) }
    /// `ops` events left out by sampling.
    public var sampledOut: Int { sampled.load(ordering: .relaxed) }
    /// Writes a sink could not complete.
    public var sinkFailures: Int { failures.load(ordering: .relaxed) }
    /// `ops` events dropped because the delivery queue was full.
    public var dropped: Int { droppedEvents.load(ordering: .relaxed) }
    /// Events left out by the flood limit.
    public var suppressed: Int { suppressedEvents.load(ordering: .relaxed) }
    /// Lines given to a sink after it was closed.
    public var writesAfterClose: Int { afterClose.load(ordering: .relaxed) }

    /// How each sink that sends lines elsewhere (a ``LogSink`` with a ``LogSink/deliveryStatus``) is doing, now.
    public var deliveries: [DeliveryStatus] { delivering.withLock { $0 }.compactMap(\.deliveryStatus) }

    /// Lists `sink` in ``deliveries`` when it reports its delivery (the pipeline calls this for each of its sinks).
    func watch(_ sink: any LogSink) {
        guard sink.deliveryStatus != nil else { return }
        delivering.withLock { sinks in
            if !sinks.contains(where: { $0 === sink }) { sinks.append(sink) }
        }
    }

    /// How many events had each type of value removed by redaction, by type name (`EMAIL`, `SECRET` …).
    public var redactionsByType: [String: Int] { redactions.withLock { $0 } }

    func countRedactions(_ types: [RedactionType]) {
        redactions.withLock { counts in
            for type in types { counts[type.name, default: 0] += 1 }
        }
        for type in types { metrics.redaction(type).increment() }
    }

    func countReclassified(_ n: Int) { reclassified.add(n, ordering: .relaxed) }
    func countTruncated() { truncated.add(1, ordering: .relaxed) }
    func countSampledOut() {
        sampled.add(1, ordering: .relaxed)
        metrics.sampledOut.increment()
    }
    func countDropped() {
        droppedEvents.add(1, ordering: .relaxed)
        metrics.dropped.increment()
    }
    func countSuppressed() {
        suppressedEvents.add(1, ordering: .relaxed)
        metrics.suppressed.increment()
    }
    public func countSinkFailure() {
        failures.add(1, ordering: .relaxed)
        metrics.sinkFailures.increment()
    }
    public func countWriteAfterClose() { afterClose.add(1, ordering: .relaxed) }
}

/// One atomic counter per storage class.
final class PerClass: Sendable {
    private let ops = Atomic<Int>(0)
    private let audit = Atomic<Int>(0)
    private let cost = Atomic<Int>(0)

    @inline(__always)
    func add(_ n: Int, _ storageClass: StorageClass) {
        switch storageClass {
        case .audit: audit.add(n, ordering: .relaxed)
        case .cost: cost.add(n, ordering: .relaxed)
        default: ops.add(n, ordering: .relaxed)
        }
    }

    func value(_ storageClass: StorageClass) -> Int {
        switch storageClass {
        case .audit: audit.load(ordering: .relaxed)
        case .cost: cost.load(ordering: .relaxed)
        default: ops.load(ordering: .relaxed)
        }
    }
}

/// The swift-metrics side of ``Diagnostics``: counters made once, with the factory bootstrapped at the time.
private final class SelfMetrics: Sendable {
    let factory: any MetricsFactory
    /// Whether a metrics backend is bootstrapped: with swift-metrics' no-op default, the hot path skips the calls.
    let reports: Bool
    let written: [Counter]
    let bytes: [Counter]
    let dropped: Counter
    let sampledOut: Counter
    let suppressed: Counter
    let sinkFailures: Counter
    private let redactions = Mutex<[String: Counter]>([:])

    init(factory: any MetricsFactory) {
        self.factory = factory
        self.reports = !(factory is NOOPMetricsHandler)
        written = StorageClass.all.map { Counter(label: "keel_events_written_total", dimensions: [("class", $0.name)], factory: factory) }
        bytes = StorageClass.all.map { Counter(label: "keel_bytes_written_total", dimensions: [("class", $0.name)], factory: factory) }
        dropped = Counter(label: "keel_events_dropped_total", dimensions: [("class", "ops")], factory: factory)
        sampledOut = Counter(label: "keel_events_sampled_out_total", dimensions: [("class", "ops")], factory: factory)
        suppressed = Counter(label: "keel_events_suppressed_total", factory: factory)
        sinkFailures = Counter(label: "keel_sink_failures_total", factory: factory)
    }

    func redaction(_ type: RedactionType) -> Counter {
        redactions.withLock { counters in
            if let counter = counters[type.name] { return counter }
            let counter = Counter(label: "keel_redactions_total", dimensions: [("type", type.name)], factory: factory)
            counters[type.name] = counter
            return counter
        }
    }
}
