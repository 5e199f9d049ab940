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
        scratch.inUse = true
        defer { scratch.inUse = false }
        let outcome = encoder.encode(
            event: pending.event, label: pending.label, handlerMetadata: pending.handlerMetadata,
            context: pending.context, provided: pending.provided, stamp: pending.stamp, sampler: sampler,
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
            router.deliver(line, level: pending.event.level, storageClass: storageClass)
        }
        // One huge event must not pin a huge buffer on this thread forever.
        scratch.buffer.shrink(ifLargerThan: 1 << 20, to: 4096)
    }

    /// Writes with the running thread's scratch, or a fresh one when this thread is already building a line (an
    /// event logged from inside a `description` that is being written).
    func write(_ pending: borrowing PendingEvent) {
        let scratch = EncodeScratch.current
        write(pending, scratch: scratch.inUse ? EncodeScratch() : scratch)
    }
}
