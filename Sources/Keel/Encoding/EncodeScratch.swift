#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Per-thread working memory for building a line: the output buffer, the field slots and the timestamp cache.
///
/// Kept in a pthread key so that the logging call allocates nothing once a thread has logged once, and needs no
/// lock. A log call made *while* a line is being built on the same thread (a `description` that logs) gets a
/// fresh, temporary scratch instead of corrupting the one in use, as tracing-subscriber does.
///
/// A scratch belongs to one thread, so its properties are exempt from Swift's run-time exclusivity checks
/// (`@exclusivity(unchecked)`): each check is a call into the runtime, and a line made a dozen of them.
final class EncodeScratch {
    @exclusivity(unchecked) var buffer = OutputBuffer(capacity: 4096)
    let slotStorage = FieldSlots.allocateStorage()
    @exclusivity(unchecked) var inUse = false
    /// What redaction removed from the event being written (reused, so it allocates only once per thread).
    @exclusivity(unchecked) var redactedTypes: [RedactionType] = []
    @exclusivity(unchecked) var readingProvider = false
    /// Whether this is a background pipeline's writer thread.
    @exclusivity(unchecked) var isWriterThread = false
    /// Times as RFC 3339, the date and time of day formatted once a second.
    @exclusivity(unchecked) var timestamps = TimestampText()

    deinit {
        buffer.deallocate()
        timestamps.deallocate()
        slotStorage.0.deallocate()
        slotStorage.1.deallocate()
    }

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        let status = pthread_key_create(&key) { pointer in
            guard let pointer else { return }
            Unmanaged<EncodeScratch>.fromOpaque(pointer).release()
        }
        precondition(status == 0, "pthread_key_create failed: \(status)")
        return key
    }()

    /// The calling thread's scratch.
    @inline(__always)
    static var current: EncodeScratch {
        if let pointer = pthread_getspecific(key) {
            return Unmanaged<EncodeScratch>.fromOpaque(pointer).takeUnretainedValue()
        }
        return makeCurrent()
    }

    @inline(never)
    private static func makeCurrent() -> EncodeScratch {
        let scratch = EncodeScratch()
        pthread_setspecific(key, Unmanaged.passRetained(scratch).toOpaque())
        return scratch
    }

    /// Whether Keel's handler is reading a metadata provider on this thread right now (see
    /// `Logger.MetadataProvider.keel`).
    static var isReadingProvider: Bool {
        guard let pointer = pthread_getspecific(key) else { return false }
        return Unmanaged<EncodeScratch>.fromOpaque(pointer).takeUnretainedValue().readingProvider
    }

    /// Gives back the memory of a line buffer that one huge event grew, so it does not stay pinned on this thread.
    @inline(__always)
    func trimBuffer() {
        buffer.shrink(ifLargerThan: 1 << 20, to: 4096)
    }

    /// Whether the calling thread is a background pipeline's writer thread.
    static var isWriterThread: Bool {
        guard let pointer = pthread_getspecific(key) else { return false }
        return Unmanaged<EncodeScratch>.fromOpaque(pointer).takeUnretainedValue().isWriterThread
    }

    /// Appends the timestamp, reusing the formatted date and time while the second has not changed.
    @inline(__always)
    func appendTimestamp(_ t: Timestamp, to out: inout OutputBuffer) {
        timestamps.append(t, to: &out)
    }
}
