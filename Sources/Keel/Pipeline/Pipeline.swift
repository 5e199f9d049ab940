import Logging

/// Turns log calls into lines and hands them to the sinks: gather → sample → encode → route.
///
/// The line is built on the calling thread into that thread's reusable buffer (``EncodeScratch``), so the call
/// allocates nothing once warm and takes no lock until a sink copies the bytes. Everything a task-local provides is
/// read here, on the caller's task, never later.
///
/// With ``Delivery/background(queueBytes:)`` the finished line is copied into a bounded queue and one writer thread
/// writes the sinks; with ``Delivery/synchronous`` (tests, short-lived tools) the calling thread writes them.
public final class Pipeline: Sendable {
    /// How lines reach the sinks.
    public enum Delivery: Sendable, Equatable {
        /// On the calling thread.
        case synchronous
        /// Through a queue of at most `queueBytes` of lines and one writer thread: `ops` events are dropped (and
        /// counted, and reported) when it is full; `audit` and `cost` events wait.
        case background(queueBytes: Int)

        /// The default: a 4 MiB queue (about 10,000 W1 lines).
        public static let background = Delivery.background(queueBytes: 4 << 20)
    }

    public let encoder: EventEncoder
    public let sinks: [any LogSink]
    public let sampler: Sampler
    public let diagnostics: Diagnostics
    public let delivery: Delivery
    /// Where lines leave the pipeline, with counts per sink.
    public let router: SinkRouter
    /// Limits floods of identical events; `nil` when not configured.
    public let floodLimiter: FloodLimiter?
    private let queue: DeliveryQueue?

    public init(
        encoder: EventEncoder, sinks: [any LogSink], sampler: Sampler = Sampler(rate: 1), diagnostics: Diagnostics,
        delivery: Delivery = .synchronous, floodLimiter: FloodLimiter? = nil
    ) {
        self.floodLimiter = floodLimiter
        self.encoder = encoder
        self.sinks = sinks
        self.sampler = sampler
        self.diagnostics = diagnostics
        self.delivery = delivery
        let router = SinkRouter(sinks: sinks, metricsFactory: diagnostics.metricsFactory)
        self.router = router
        if case .background(let bytes) = delivery {
            queue = DeliveryQueue(capacity: bytes, router: router, service: encoder.service, diagnostics: diagnostics)
        } else {
            queue = nil
        }
    }

    /// Encodes and writes one event. Never throws, never traps.
    @inline(__always)
    func emit(_ event: LogEvent, label: String, handlerMetadata: Logger.Metadata, provider: Logger.MetadataProvider?) {
        var event = event
        if let floodLimiter {
            switch floodLimiter.decide(event) {
            case .drop:
                diagnostics.countSuppressed()
                return
            case .keep(let suppressed) where suppressed > 0:
                event.metadata = (event.metadata ?? [:]).merging(["suppressed": .stringConvertible(suppressed)]) { $1 }
            case .keep:
                break
            }
        }
        let scratch = EncodeScratch.current
        if scratch.inUse {
            // A log call made while this thread is building a line (a `description` that logs).
            emit(event, label: label, handlerMetadata: handlerMetadata, provider: provider, scratch: EncodeScratch())
            return
        }
        emit(event, label: label, handlerMetadata: handlerMetadata, provider: provider, scratch: scratch)
    }

    @inline(__always)
    private func emit(
        _ event: LogEvent, label: String, handlerMetadata: Logger.Metadata, provider: Logger.MetadataProvider?,
        scratch: EncodeScratch
    ) {
        scratch.inUse = true
        defer { scratch.inUse = false }
        var provided: Logger.Metadata?
        if let provider {
            scratch.readingProvider = true
            provided = provider.get()
            scratch.readingProvider = false
        }
        let time = Timestamp.now()
        let outcome = encoder.encode(
            event: event, label: label, handlerMetadata: handlerMetadata, context: LogContext.current,
            provided: provided, stamp: EventStamp(time: time, id: EventIDGenerator.next(at: time)), sampler: sampler,
            scratch: scratch)
        guard case .written(let storageClass, let truncated, let reclassified) = outcome else {
            diagnostics.countSampledOut()
            return
        }
        if reclassified > 0 { diagnostics.countReclassified(reclassified) }
        if truncated { diagnostics.countTruncated() }
        if !scratch.redactedTypes.isEmpty { diagnostics.countRedactions(scratch.redactedTypes) }
        diagnostics.countWritten(storageClass, bytes: scratch.buffer.count)
        scratch.buffer.withUnsafeBytes { line in
            if let queue {
                queue.enqueue(line, level: event.level, storageClass: storageClass)
                return
            }
            router.deliver(line, level: event.level, storageClass: storageClass)
        }
        // One huge event must not pin a huge buffer on this thread forever.
        scratch.buffer.shrink(ifLargerThan: 1 << 20, to: 4096)
    }

    /// Bytes allocated for queued lines (0 when synchronous): bounded by twice the queue size.
    public var queueAllocatedBytes: Int { queue?.allocatedBytes ?? 0 }

    /// Writes out everything logged before the call (through the queue, within `deadline`) and flushes every sink.
    /// - Returns: whether it finished within the deadline.
    @discardableResult
    public func flush(deadline: Duration = .seconds(10)) -> Bool {
        if let queue { return queue.flush(deadline: deadline) }
        for sink in sinks { sink.flush() }
        return true
    }

    /// Writes out what is queued (within `deadline`), then flushes and closes every sink.
    public func close(deadline: Duration = .seconds(10)) {
        if let queue {
            queue.close(deadline: deadline)
            return
        }
        for sink in sinks { sink.close() }
    }
}
