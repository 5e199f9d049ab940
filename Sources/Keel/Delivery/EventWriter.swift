import Logging

/// Builds one pending event's line and hands it to the sinks: encode (gather, sample, redact) → count → route.
///
/// The same steps whichever thread runs them: the caller with synchronous delivery, the writer thread with
/// background delivery. The line is built in `scratch` (the running thread's reusable buffer), so writing an event
/// allocates nothing once warm.
struct EventWriter: Sendable {
    let encoder: EventEncoder
    let sampler: Sampler
    let diagnostics: Diagnostics
    let router: SinkRouter

    func write(_ pending: borrowing PendingEvent, scratch: EncodeScratch) {
        guard let storageClass = encode(pending, scratch: scratch) else { return }
        deliverBuilt(level: pending.call.level, storageClass: storageClass, scratch: scratch)
    }

    /// Writes a call from its parts, borrowed: what synchronous delivery does, without capturing a ``PendingEvent``.
    func write(
        call: borrowing LogCall, label: String, handlerMetadata: Logger.Metadata, provided: Logger.Metadata?,
        context: LogContext, stamp: EventStamp, scratch: EncodeScratch
    ) {
        guard
            let storageClass = encode(
                call: call, label: label, handlerMetadata: handlerMetadata, provided: provided, context: context,
                stamp: stamp, scratch: scratch)
        else { return }
        deliverBuilt(level: call.level, storageClass: storageClass, scratch: scratch)
    }

    /// Builds the event's line in `scratch.buffer` (counting what redaction and sampling did); returns its storage
    /// class, or `nil` when sampling left it out.
    func encode(_ pending: borrowing PendingEvent, scratch: EncodeScratch) -> StorageClass? {
        encode(
            call: pending.call, label: pending.label, handlerMetadata: pending.handlerMetadata,
            provided: pending.provided, context: pending.context, stamp: EventStamp(pending.time), scratch: scratch)
    }

    /// Hands the line just built in `scratch` to the sinks.
    private func deliverBuilt(level: Logger.Level, storageClass: StorageClass, scratch: EncodeScratch) {
        scratch.buffer.withUnsafeBytes { line in
            deliver(line, level: level, storageClass: storageClass)
        }
        // Written on its own (synchronous delivery), the event is a batch of one; the writer thread ends its own
        // batches.
        if !scratch.isWriterThread { router.endBatch() }
        scratch.trimBuffer()
    }

    private func encode(
        call: borrowing LogCall, label: String, handlerMetadata: Logger.Metadata, provided: Logger.Metadata?,
        context: LogContext, stamp: EventStamp, scratch: EncodeScratch
    ) -> StorageClass? {
        scratch.inUse = true
        defer { scratch.inUse = false }
        let outcome = encoder.encode(
            call: call, label: label, handlerMetadata: handlerMetadata, context: context, provided: provided,
            stamp: stamp, sampler: sampler, scratch: scratch)
        guard case .written(let storageClass, let truncated, let reclassified) = outcome else {
            diagnostics.countSampledOut()
            return nil
        }
        if reclassified > 0 { diagnostics.countReclassified(reclassified) }
        if truncated { diagnostics.countTruncated() }
        if !scratch.redactedTypes.isEmpty { diagnostics.countRedactions(scratch.redactedTypes) }
        return storageClass
    }

    /// Hands a finished line to the sinks that take its class, and counts it.
    func deliver(_ line: UnsafeRawBufferPointer, level: Logger.Level, storageClass: StorageClass) {
        diagnostics.countWritten(storageClass, bytes: line.count)
        router.deliver(line, level: level, storageClass: storageClass)
    }

    /// Writes with the running thread's scratch, or a fresh one when this thread is already building a line (an
    /// event logged from inside a `description` that is being written).
    func write(_ pending: borrowing PendingEvent) {
        write(pending, scratch: Self.scratch())
    }

    /// The running thread's scratch, or a fresh one when this thread is already building a line.
    static func scratch() -> EncodeScratch {
        let scratch = EncodeScratch.current
        return scratch.inUse ? EncodeScratch() : scratch
    }
}
