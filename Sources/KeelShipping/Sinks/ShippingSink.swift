import Foundation
public import Keel
public import Logging
import Synchronization
package import CoreMetrics

/// A sink that ships lines to a log server (``ShippingDestination``) through buffers that outlast the server: `write`
/// appends and returns — the service's logging never waits on the network — and senders deliver batches in order,
/// removing them only once the server acknowledged them. Lines written while the server is down, slow or refusing
/// (5xx, 429) wait and are sent when it is back; a batch sent twice (after a lost acknowledgement, or a crash before
/// the spool heard of it) is stored once, by `event_id`.
///
/// Two lanes, each a buffer with its own sender: **audit and cost** lines are always spooled on disk
/// (``ShippingOptions/spoolDirectory``, required for a sink taking them) and never dropped — a full spool makes their
/// writer wait; **operational** lines wait in memory (bounded, the oldest dropped and counted when full), or on disk
/// too with ``ShippingOptions/spoolsOperationalLines`` so that they survive a restart and longer outages.
public final class ShippingSink: LogSink {
    public let destination: ShippingDestination
    public let options: ShippingOptions
    private let classes: Set<StorageClass>
    /// The operational lane (memory, or `ops/` of the spool) and the durable one (the spool): either may be absent.
    private let operational: Lane?
    private let durable: Lane?

    /// One buffer and its sender.
    private struct Lane: Sendable {
        let spool: Spool
        let sender: BatchSender
    }

    /// Why a sink cannot be made as asked.
    public struct SetupError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Opens (or recovers) the spool and starts sending. `classes` are the storage classes it takes.
    /// - Throws: ``SetupError`` when it takes audit or cost lines without a spool directory; what opening the spool
    ///   throws.
    public convenience init(destination: ShippingDestination, options: ShippingOptions, classes: Set<StorageClass> = Set(StorageClass.all)) throws {
        try self.init(destination: destination, options: options, classes: classes, metricsFactory: MetricsSystem.factory)
    }

    /// With the swift-metrics factory its counters and gauges are made by (``ShippingMetrics``).
    package init(destination: ShippingDestination, options: ShippingOptions, classes: Set<StorageClass>, metricsFactory: any MetricsFactory) throws {
        self.destination = destination
        self.options = options
        self.classes = classes
        let name = Self.name(of: destination)
        let metrics = ShippingMetrics(sink: name, factory: metricsFactory)
        let fsync: Spool.Fsync = options.fsyncIntervalMilliseconds <= 0 ? .always : .interval(.milliseconds(options.fsyncIntervalMilliseconds))
        func lane(_ index: Int, directory: String?, capacity: Int, whenFull: SpoolWhenFull) throws -> Lane {
            let spool = try Spool(Spool.Options(
                directory: directory, capacity: capacity, segmentSize: max(64 << 10, min(8 << 20, capacity / 16)), whenFull: whenFull,
                fsync: fsync, writeBuffer: options.spoolWriteBuffer))
            return Lane(spool: spool, sender: BatchSender(spool: spool, lane: index, destination: destination, options: options, metrics: metrics))
        }
        let takesDurable = classes.contains { !$0.isDroppable }
        if takesDurable, options.spoolDirectory == nil {
            throw SetupError(description: "\(name) takes audit and cost lines, which are always spooled on disk: give it a spool directory")
        }
        durable = try takesDurable ? lane(1, directory: options.spoolDirectory, capacity: options.spoolCapacity, whenFull: .block) : nil
        if classes.contains(where: \.isDroppable) {
            let onDisk = options.spoolsOperationalLines ? options.spoolDirectory.map { $0 + "/ops" } : nil
            operational = try lane(
                0, directory: onDisk, capacity: onDisk == nil ? options.memoryCapacity : options.spoolCapacity,
                whenFull: options.blocksWhenFull ? .block : .dropOldest)
        } else {
            operational = nil
        }
        for lane in [operational, durable].compactMap({ $0 }) {
            let recovery = lane.spool.recovery
            if recovery.tornBytes + recovery.damagedBytes > 0, let directory = lane.spool.options.directory {
                FileHandle.standardError.write(Data(
                    "keel: the spool \(directory) was damaged (a crash mid-write, or the disk): \(recovery.tornBytes + recovery.damagedBytes) bytes cut off and not sent; \(recovery.pendingRecords) lines still to send\n".utf8))
            }
            lane.sender.start()
        }
    }

    private static func name(of destination: ShippingDestination) -> String {
        "ship:\(destination.format.rawValue):\(URLComponents(string: destination.url)?.host ?? destination.url)"
    }

    private var lanes: [Lane] { [operational, durable].compactMap { $0 } }

    public func accepts(_ storageClass: StorageClass) -> Bool { classes.contains(storageClass) }
    public var isDurable: Bool { true }
    public var name: String { Self.name(of: destination) }

    public func write(_ line: UnsafeRawBufferPointer, level: Logger.Level, storageClass: StorageClass) {
        guard let lane = storageClass.isDroppable ? operational : durable else { return }
        let sender = lane.sender
        switch lane.spool.append(line, storageClass: storageClass.code) {
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
    public var statistics: ShippingStatistics {
        lanes.map { $0.sender.statistics.withLock { $0 } }.reduce(into: ShippingStatistics()) { total, lane in
            total.sent += lane.sent
            total.retried += lane.retried
            total.dropped += lane.dropped
            total.deadLettered += lane.deadLettered
            total.duplicates += lane.duplicates
            total.spoolDamagedBytes += lane.spoolDamagedBytes
        }
    }

    /// From each line's write to its acknowledgement, all lanes together (a histogram: `latency.quantile(0.99)`).
    public var latency: DeliveryLatency {
        lanes.map { $0.sender.latency.withLock { $0 } }.reduce(DeliveryLatency()) { $0.adding($1) }
    }

    /// How long the oldest line still waiting has waited, in milliseconds (`nil`: none waits, or it was written
    /// before this process started).
    public var oldestWaitingMilliseconds: Int? {
        let now = DispatchTime.now().uptimeNanoseconds
        return lanes.compactMap { lane in lane.sender.latency.withLock { $0.oldestWaiting(now: now) } }.max()
    }

    /// What ``Diagnostics/deliveries`` lists for it.
    public var deliveryStatus: DeliveryStatus? {
        let statistics = statistics
        return DeliveryStatus(
            sink: name, sent: statistics.sent, retried: statistics.retried, dropped: statistics.dropped,
            deadLettered: statistics.deadLettered, duplicates: statistics.duplicates, waitingLines: pendingLines,
            bufferedBytes: spooledBytes, oldestWaitingMilliseconds: oldestWaitingMilliseconds)
    }

    /// Lines not yet acknowledged by the server, and the bytes holding them (on disk and in memory).
    public var pendingLines: Int { lanes.reduce(0) { $0 + $1.spool.pendingRecords } }
    public var spooledBytes: Int { lanes.reduce(0) { $0 + $1.spool.bytes } }

    private var isDrained: Bool { lanes.allSatisfy { $0.spool.isDrained } }

    /// Forces what was written to the spool's files on disk: after it, the lines survive the machine losing power (a
    /// file shipper commits its read positions after this).
    public func sync() { for lane in lanes { lane.spool.sync() } }

    /// Forces the spool to disk, then waits up to the options' `flushTimeout` for the server to have everything.
    public func flush() {
        sync()
        let deadline = ContinuousClock.now + options.flushTimeout
        while !isDrained, ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.01) }
    }

    /// Forces the spool to disk, then waits (without holding a thread) up to `timeout` for the server to have every
    /// line; whether it has. What an async caller uses instead of ``flush()``, which blocks its thread.
    public func delivered(within timeout: Duration) async -> Bool {
        sync()
        let deadline = ContinuousClock.now + timeout
        while !isDrained, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
        return isDrained
    }

    /// Flushes, then stops sending; what the server does not have yet stays in the spool for the next start (lines
    /// waiting in memory are lost).
    public func close() {
        flush()
        for lane in lanes {
            lane.sender.stop()
            lane.spool.close()
        }
    }
}
