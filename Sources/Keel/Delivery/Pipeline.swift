package import Logging

/// Turns log calls into lines and hands them to the sinks: capture → (queue) → encode → route.
///
/// The calling thread only captures the call (``PendingEvent``: a few reference counts, the time, the task's
/// context and metadata provider). With ``Delivery/background(queueEvents:)`` that capture goes into a bounded
/// queue and one writer thread builds the lines — gathering, sampling, redacting, escaping — and writes the sinks;
/// with ``Delivery/synchronous`` (tests, short-lived tools) the calling thread does the same work itself. Either
/// way a line is built in its thread's reusable buffer (``EncodeScratch``), so logging allocates nothing once warm.
public final class Pipeline: Sendable {
    /// How lines reach the sinks.
    public enum Delivery: Sendable, Equatable {
        /// On the calling thread.
        case synchronous
        /// Through a queue of at most `queueEvents` captured calls and one writer thread: `ops` events are dropped
        /// (and counted, and reported) when it is full; `audit` and `cost` events wait.
        case background(queueEvents: Int)

        /// The default: 8,192 queued events (each keeps its own metadata alive until it is written).
        public static let background = Delivery.background(queueEvents: 8192)
    }

    package let encoder: EventEncoder
    public let sinks: [any LogSink]
    package let sampler: Sampler
    public let diagnostics: Diagnostics
    public let delivery: Delivery
    /// Where lines leave the pipeline, with counts per sink.
    package let router: SinkRouter
    /// Limits floods of identical events; `nil` when not configured.
    package let floodLimiter: FloodLimiter?
    private let writer: EventWriter
    private let queue: DeliveryQueue?

    package init(
        encoder: EventEncoder, sinks: [any LogSink], sampler: Sampler = Sampler(rate: 1), diagnostics: Diagnostics,
        delivery: Delivery = .synchronous, floodLimiter: FloodLimiter? = nil
    ) {
        self.floodLimiter = floodLimiter
        self.encoder = encoder
        self.sinks = sinks
        self.sampler = sampler
        self.diagnostics = diagnostics
        self.delivery = delivery
        for sink in sinks { diagnostics.watch(sink) }
        let router = SinkRouter(sinks: sinks, metricsFactory: diagnostics.metricsFactory)
        self.router = router
        let writer = EventWriter(encoder: encoder, sampler: sampler, diagnostics: diagnostics, router: router)
        self.writer = writer
        if case .background(let events) = delivery {
            queue = DeliveryQueue(capacity: events, writer: writer)
        } else {
            queue = nil
        }
    }

    /// Captures one call and writes it, or queues it for the writer thread. Never throws, never traps.
    @inline(__always)
    func emit(_ event: LogEvent, label: String, handlerMetadata: Logger.Metadata, provider: Logger.MetadataProvider?) {
        if let floodLimiter {
            switch floodLimiter.decide(event) {
            case .drop:
                diagnostics.countSuppressed()
                return
            case .keep(let suppressed) where suppressed > 0:
                var event = event
                event.metadata = (event.metadata ?? [:]).merging(["suppressed": .stringConvertible(suppressed)]) { $1 }
                submit(event, label: label, handlerMetadata: handlerMetadata, provider: provider)
                return
            case .keep:
                break
            }
        }
        submit(event, label: label, handlerMetadata: handlerMetadata, provider: provider)
    }

    @inline(__always)
    private func submit(
        _ event: LogEvent, label: String, handlerMetadata: Logger.Metadata, provider: Logger.MetadataProvider?
    ) {
        var provided: Logger.Metadata?
        if let provider {
            let scratch = EncodeScratch.current
            scratch.readingProvider = true
            provided = provider.get()
            scratch.readingProvider = false
        }
        let time = Timestamp.now()
        let call = LogCall(event, sourceLocations: encoder.sourceLocations)
        guard let queue else {
            writer.write(
                call: call, label: label, handlerMetadata: handlerMetadata, provided: provided,
                context: LogContext.current, stamp: EventStamp(time), scratch: EventWriter.scratch())
            return
        }
        queue.enqueue(
            PendingEvent(
                call: call, label: label, handlerMetadata: handlerMetadata, provided: provided,
                context: LogContext.current, time: time))
    }

    /// Hands a line that is already canonical and redacted — a foreign record ``ForeignRecordNormalizer`` made, as
    /// `keel pipe` does — to the sinks that take its class, on the calling thread. `line` ends in `\n`. Nothing is
    /// sampled: a line that was written by its program is not dropped here.
    package func deliver(canonical line: UnsafeRawBufferPointer, level: Logger.Level, storageClass: StorageClass) {
        writer.deliver(line, level: level, storageClass: storageClass)
        router.endBatch()
    }

    /// Bytes the queue's own storage holds allocated (0 when synchronous): fixed at start-up whatever the load.
    public var queueAllocatedBytes: Int { queue?.allocatedBytes ?? 0 }

    /// The most events the queue has held at once since the pipeline started (0 when synchronous): never more
    /// than its capacity.
    public var queuePeakEvents: Int { queue?.peakEvents ?? 0 }

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
