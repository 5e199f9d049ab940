import Foundation
public import Keel
public import Logging
import Synchronization
package import CoreMetrics

/// A sink that ships lines to a log server (``ShippingDestination``) through a disk spool: `write` appends to the
/// spool and returns — the service's logging never waits on the network — and a sender delivers the spool's batches
/// in order, removing them only once the server acknowledged them. Lines written while the server is down, slow or
/// refusing (5xx, 429) wait in the spool, across restarts of the process too, and are sent when it is back; a batch
/// sent twice (a crash after the server stored it and before the spool heard) is stored once, by `event_id`.
public final class ShippingSink: LogSink {
    public let destination: ShippingDestination
    public let options: ShippingOptions
    private let spool: DiskSpool
    private let sender: BatchSender
    private let classes: Set<StorageClass>

    /// Opens (or recovers) the spool and starts sending. `classes` are the storage classes it takes.
    public convenience init(destination: ShippingDestination, options: ShippingOptions, classes: Set<StorageClass> = Set(StorageClass.all)) throws {
        try self.init(destination: destination, options: options, classes: classes, metricsFactory: MetricsSystem.factory)
    }

    /// With the swift-metrics factory its counters and gauges are made by (``ShippingMetrics``).
    package init(destination: ShippingDestination, options: ShippingOptions, classes: Set<StorageClass>, metricsFactory: any MetricsFactory) throws {
        self.destination = destination
        self.options = options
        self.classes = classes
        let blocks = options.blocksWhenFull || classes.contains(.audit) || classes.contains(.cost)
        spool = try DiskSpool(DiskSpool.Options(
            directory: options.spoolDirectory, capacity: options.spoolCapacity, segmentSize: max(64 << 10, min(8 << 20, options.spoolCapacity / 16)),
            whenFull: blocks ? .block : .dropOldest,
            fsync: options.fsyncIntervalMilliseconds <= 0 ? .always : .interval(.milliseconds(options.fsyncIntervalMilliseconds)),
            writeBuffer: options.spoolWriteBuffer))
        sender = BatchSender(spool: spool, destination: destination, options: options, metrics: ShippingMetrics(
            sink: "ship:\(destination.format.rawValue):\(URLComponents(string: destination.url)?.host ?? destination.url)", factory: metricsFactory))
        sender.start()
    }

    public func accepts(_ storageClass: StorageClass) -> Bool { classes.contains(storageClass) }
    public var isDurable: Bool { true }
    public var name: String { "ship:\(destination.format.rawValue):\(URLComponents(string: destination.url)?.host ?? destination.url)" }

    public func write(_ line: UnsafeRawBufferPointer, level: Logger.Level, storageClass: StorageClass) {
        switch spool.append(line, storageClass: storageClass.code) {
        case .spooled:
            sender.latency.withLock { $0.wrote(at: DispatchTime.now().uptimeNanoseconds) }
        case .spooledDropping(let records):
            sender.statistics.withLock { $0.dropped += records }
            sender.metrics.dropped.increment(by: Int64(records))
            sender.latency.withLock {
                $0.forgot(records)
                $0.wrote(at: DispatchTime.now().uptimeNanoseconds)
            }
        case .refused:
            sender.statistics.withLock { $0.dropped += 1 }
            sender.metrics.dropped.increment()
        }
    }

    /// What it has sent, retried and dropped, and what waits.
    public var statistics: ShippingStatistics { sender.statistics.withLock { $0 } }
    /// From each line's write to its acknowledgement (a histogram: `latency.quantile(0.99)`), and how long the oldest
    /// line waiting has waited (`latency.oldestWaiting(now:)`).
    public var latency: DeliveryLatency { sender.latency.withLock { $0 } }

    /// How long the oldest line still waiting has waited, in milliseconds (`nil`: none waits, or it was written
    /// before this process started).
    public var oldestWaitingMilliseconds: Int? { sender.latency.withLock { $0.oldestWaiting(now: DispatchTime.now().uptimeNanoseconds) } }

    /// What ``Diagnostics/deliveries`` lists for it.
    public var deliveryStatus: DeliveryStatus? {
        let statistics = statistics
        return DeliveryStatus(
            sink: name, sent: statistics.sent, retried: statistics.retried, dropped: statistics.dropped,
            deadLettered: statistics.deadLettered, duplicates: statistics.duplicates, waitingLines: pendingLines,
            bufferedBytes: spooledBytes, oldestWaitingMilliseconds: oldestWaitingMilliseconds)
    }

    /// Lines in the spool not yet acknowledged by the server, and the spool's bytes on disk.
    public var pendingLines: Int { spool.pendingRecords }
    public var spooledBytes: Int { spool.bytes }

    /// Forces what was written to the spool's files on disk: after it, the lines survive the machine losing power (a
    /// file shipper commits its read positions after this).
    public func sync() { spool.sync() }

    /// Forces the spool to disk, then waits up to the options' `flushTimeout` for the server to have everything.
    public func flush() {
        spool.sync()
        let deadline = ContinuousClock.now + options.flushTimeout
        while !spool.isDrained, ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.01) }
    }

    /// Forces the spool to disk, then waits (without holding a thread) up to `timeout` for the server to have every
    /// line; whether it has. What an async caller uses instead of ``flush()``, which blocks its thread.
    public func delivered(within timeout: Duration) async -> Bool {
        spool.sync()
        let deadline = ContinuousClock.now + timeout
        while !spool.isDrained, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
        return spool.isDrained
    }

    /// Flushes, then stops sending; what the server does not have yet stays in the spool for the next start.
    public func close() {
        flush()
        sender.stop()
        spool.close()
    }
}
