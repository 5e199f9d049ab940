import Logging

/// Turns log calls into lines and hands them to the sinks: gather → sample → encode → route.
///
/// The line is built on the calling thread into that thread's reusable buffer (``EncodeScratch``), so the call
/// allocates nothing once warm and takes no lock until a sink copies the bytes. Everything a task-local provides is
/// read here, on the caller's task, never later.
///
/// This is the synchronous pipeline: sinks are written on the calling thread.
public final class Pipeline: Sendable {
    public let encoder: EventEncoder
    public let sinks: [any LogSink]
    public let sampler: Sampler
    public let diagnostics: Diagnostics

    public init(encoder: EventEncoder, sinks: [any LogSink], sampler: Sampler = Sampler(rate: 1), diagnostics: Diagnostics) {
        self.encoder = encoder
        self.sinks = sinks
        self.sampler = sampler
        self.diagnostics = diagnostics
    }

    /// Encodes and writes one event. Never throws, never traps.
    @inline(__always)
    func emit(_ event: LogEvent, label: String, handlerMetadata: Logger.Metadata, provider: Logger.MetadataProvider?) {
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
        scratch.buffer.withUnsafeBytes { line in
            for sink in sinks where sink.accepts(storageClass) {
                sink.write(line, level: event.level, storageClass: storageClass)
            }
        }
        // One huge event must not pin a huge buffer on this thread forever.
        scratch.buffer.shrink(ifLargerThan: 1 << 20, to: 4096)
    }

    /// Flushes every sink.
    public func flush() {
        for sink in sinks { sink.flush() }
    }

    /// Flushes and closes every sink.
    public func close() {
        for sink in sinks { sink.close() }
    }
}
