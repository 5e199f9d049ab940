package import CoreMetrics
package import Logging

/// Hands a line to every sink that takes its storage class, and counts, per sink and class, the lines and bytes
/// each was given: the one place lines leave the pipeline, on the calling thread or on the writer thread.
package final class SinkRouter: Sendable {
    package let sinks: [any LogSink]
    private let counts: [SinkCounts]
    /// The sinks that want ``LogSink/endBatch()`` calls (usually none, or the audit log).
    private let batchEnders: [any LogSink]

    init(sinks: [any LogSink], metricsFactory: any MetricsFactory) {
        self.sinks = sinks
        self.counts = sinks.map { SinkCounts(name: $0.name, factory: metricsFactory) }
        self.batchEnders = sinks.filter(\.wantsBatchEnds)
    }

    /// Tells the sinks that want to know that a batch of lines is complete.
    @inline(__always)
    func endBatch() {
        for sink in batchEnders { sink.endBatch() }
    }

    @inline(__always)
    func deliver(_ line: UnsafeRawBufferPointer, level: Logger.Level, storageClass: StorageClass) {
        for i in sinks.indices where sinks[i].accepts(storageClass) {
            sinks[i].write(line, level: level, storageClass: storageClass)
            counts[i].add(storageClass, bytes: line.count)
        }
    }

    /// Lines given to each sink, by its ``LogSink/name`` and storage class.
    package func linesWritten(to sinkName: String, _ storageClass: StorageClass) -> Int {
        counts.filter { $0.name == sinkName }.reduce(0) { $0 + $1.lines(storageClass) }
    }

    /// Bytes given to each sink, by its ``LogSink/name`` and storage class.
    package func bytesWritten(to sinkName: String, _ storageClass: StorageClass) -> Int {
        counts.filter { $0.name == sinkName }.reduce(0) { $0 + $1.bytes(storageClass) }
    }
}

/// One sink's counters: lines and bytes per storage class, in code and as `keel_sink_lines_total{sink,class}` and
/// `keel_sink_bytes_total{sink,class}`.
private final class SinkCounts: Sendable {
    let name: String
    private let reports: Bool
    private let lineCounts = PerClass()
    private let byteCounts = PerClass()
    private let lineCounters: [Counter]
    private let byteCounters: [Counter]

    init(name: String, factory: any MetricsFactory) {
        self.name = name
        self.reports = !(factory is NOOPMetricsHandler)
        lineCounters = StorageClass.all.map {
            Counter(label: "keel_sink_lines_total", dimensions: [("sink", name), ("class", $0.name)], factory: factory)
        }
        byteCounters = StorageClass.all.map {
            Counter(label: "keel_sink_bytes_total", dimensions: [("sink", name), ("class", $0.name)], factory: factory)
        }
    }

    @inline(__always)
    func add(_ storageClass: StorageClass, bytes: Int) {
        let i = Int(storageClass.code)
        lineCounts.add(1, storageClass)
        byteCounts.add(bytes, storageClass)
        guard reports else { return }
        lineCounters[i].increment()
        byteCounters[i].increment(by: bytes)
    }

    func lines(_ storageClass: StorageClass) -> Int { lineCounts.value(storageClass) }
    func bytes(_ storageClass: StorageClass) -> Int { byteCounts.value(storageClass) }
}
