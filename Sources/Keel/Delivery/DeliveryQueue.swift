#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
public import Logging

/// The bounded queue between the threads that log and the one thread that writes.
///
/// Normally a caller only moves its captured call in (``PendingEvent``: a lock and a few words) and the writer
/// builds the line. Under pressure — `pressure` events already waiting, because callers log faster than one thread
/// can encode — callers build their own lines and queue those instead, so that every core shares the encoding and
/// the writer only copies bytes; both kinds go through the same queue, so each thread's events stay in order.
///
/// The idle writer dozes (it looks again every millisecond, ten times) before it sleeps until woken, and a dozing
/// writer is woken only for a batch (``wakeBatch`` events): waking a sleeping thread is a system call, which would
/// otherwise land on the logging thread for almost every event of a trickle.
///
/// Two sides take turns: callers append to the active one while the writer works through the other, so neither
/// side waits on the other's work, and neither grows past its bound (`capacity` events, and `lineCapacity` bytes of
/// caller-built lines), so the writer allocates nothing per event. When the active side is full, `ops` events are
/// dropped and counted — the writer reports the count in one `keel.dropped` event once the pressure is over — and
/// `audit` and `cost` events make their caller wait for room: they are never dropped.
final class DeliveryQueue: @unchecked Sendable {
    /// One queued event: a captured call for the writer to build, or a line its caller built.
    private enum Entry {
        case pending(PendingEvent)
        case line(offset: Int, count: Int, level: Logger.Level, storageClass: StorageClass)
    }

    /// One side of the double buffer.
    private struct Side {
        var entries: [Entry] = []
        var lines: OutputBuffer

        init(capacity: Int, lineCapacity: Int) {
            entries.reserveCapacity(capacity)
            lines = OutputBuffer(capacity: lineCapacity)
        }
    }

    /// Idle millisecond looks the writer takes before it sleeps until woken (see `runWriter`).
    private static let lightSleeps = 10
    /// Queued events for which a caller wakes a dozing writer rather than leave them for its next look.
    private static let wakeBatch = 128
    private let capacity: Int
    private let lineCapacity: Int
    /// Queued events beyond which callers build their own lines: small, so that the writer never holds a long batch
    /// of unbuilt events while callers fill the rest of the queue (about a millisecond of its work).
    private let pressure: Int
    private let writer: EventWriter
    private var sinks: [any LogSink] { writer.router.sinks }
    private var diagnostics: Diagnostics { writer.diagnostics }
    private let lock = ConditionLock()
    // Guarded by `lock`, so exempt from Swift's run-time exclusivity checks (a runtime call per access).
    @exclusivity(unchecked) private var active: Side
    @exclusivity(unchecked) private var spare: Side
    @exclusivity(unchecked) private var peak = 0
    /// The writer sleeps until woken: the first event wakes it.
    private var writerWaiting = false
    /// The writer looks again within a millisecond: only a batch worth waking for (``wakeBatch`` events) wakes it.
    private var writerDozing = false
    private var stopping = false
    private var dropped = 0
    private var flushRequested = 0
    private var flushCompleted = 0
    private var thread: pthread_t?

    /// - Parameter capacity: events queued at most; twice that are held at once (one batch being written).
    init(capacity: Int, writer: EventWriter) {
        self.capacity = max(capacity, 16)
        self.lineCapacity = max(self.capacity * 512, 1 << 20)
        self.pressure = min(self.capacity / 2, 512)
        self.writer = writer
        active = Side(capacity: self.capacity, lineCapacity: lineCapacity)
        spare = Side(capacity: self.capacity, lineCapacity: lineCapacity)
        startWriter()
    }

    deinit {
        active.lines.deallocate()
        spare.lines.deallocate()
    }

    /// Queues one call. `ops` events are dropped when the queue is full; other classes wait for room.
    func enqueue(_ pending: consuming PendingEvent) {
        if EncodeScratch.isWriterThread {
            // Logged while the writer builds a line (a `description` that logs): waiting for room would wait on
            // this very thread, so the line is written here and now.
            writer.write(pending)
            return
        }
        lock.lock()
        if stopping {
            lock.unlock()
            diagnostics.countWriteAfterClose()
            return
        }
        if active.entries.count < pressure {
            active.entries.append(.pending(consume pending))
            if active.entries.count > peak { peak = active.entries.count }
            let wake = writerWaiting || (writerDozing && active.entries.count == Self.wakeBatch)
            lock.unlock()
            if wake { lock.signal() }
            return
        }
        lock.unlock()
        // Under pressure: build the line on this thread, then queue the bytes.
        let scratch = EventWriter.scratch()
        guard let storageClass = writer.encode(pending, scratch: scratch) else { return }
        scratch.buffer.withUnsafeBytes { line in
            enqueue(line: line, level: pending.call.level, storageClass: storageClass)
        }
        scratch.trimBuffer()
    }

    private func enqueue(line: UnsafeRawBufferPointer, level: Logger.Level, storageClass: StorageClass) {
        lock.lock()
        while active.entries.count >= capacity || (active.lines.count + line.count > lineCapacity && active.lines.count > 0)
        {
            if storageClass == .ops || stopping {
                dropped += 1
                lock.unlock()
                diagnostics.countDropped()
                return
            }
            lock.signal()
            lock.wait()
        }
        let offset = active.lines.count
        active.lines.append(line)
        active.entries.append(.line(offset: offset, count: line.count, level: level, storageClass: storageClass))
        if active.entries.count > peak { peak = active.entries.count }
        let wake = writerWaiting || (writerDozing && active.entries.count >= Self.wakeBatch)
        lock.unlock()
        if wake { lock.signal() }
    }

    /// Bytes the queue's own storage holds allocated (both sides' event slots and caller-built lines): fixed at
    /// start-up, whatever the load, unless a single line is larger than the line capacity. (Each queued event also
    /// keeps its own metadata alive until it is written: the event count bounds that.)
    var allocatedBytes: Int {
        lock.lock()
        defer { lock.unlock() }
        let slots = (active.entries.capacity + spare.entries.capacity) * MemoryLayout<Entry>.stride
        return slots + active.lines.capacity + spare.lines.capacity
    }

    /// The most events queued at once so far: never more than the capacity.
    var peakEvents: Int {
        lock.lock()
        defer { lock.unlock() }
        return peak
    }

    /// Returns once everything queued before the call is written and every sink flushed, or at `deadline`.
    /// - Returns: whether it finished in time.
    @discardableResult
    func flush(deadline: Duration = .seconds(10)) -> Bool {
        let end = ContinuousClock.now + deadline
        lock.lock()
        // After `close` there is no writer to wait for, and nothing queued (later events are dropped): a flush at
        // exit (`Keel.bootstrap` installs one) after `Keel.shutdown()` must not wait out its deadline.
        if stopping {
            lock.unlock()
            return true
        }
        flushRequested += 1
        let ticket = flushRequested
        lock.broadcast()
        while flushCompleted < ticket {
            guard ContinuousClock.now < end else {
                lock.unlock()
                return false
            }
            lock.wait(timeout: .milliseconds(50))
        }
        lock.unlock()
        return true
    }

    /// Writes out what is queued (within `deadline`), stops the writer and closes the sinks. Events queued after
    /// this are dropped and counted.
    func close(deadline: Duration = .seconds(10)) {
        flush(deadline: deadline)
        lock.lock()
        stopping = true
        lock.broadcast()
        lock.unlock()
        if let thread { pthread_join(thread, nil) }
        for sink in sinks { sink.close() }
    }

    private func startWriter() {
        let box = Unmanaged.passRetained(self)
        var thread = pthread_t()
        let status = pthread_create(&thread, nil, { argument in
            let queue = Unmanaged<DeliveryQueue>.fromOpaque(argument!).takeRetainedValue()
            queue.runWriter()
            return nil
        }, box.toOpaque())
        if status == 0 {
            self.thread = thread
        } else {
            box.release()
            FileDescriptorIO.reportToStderr("cannot start the log writer thread (\(status)); writing on the calling threads")
        }
    }

    /// The writer: takes the active array whole, writes its events to the sinks, and repeats; sleeps when idle.
    private func runWriter() {
        let scratch = EncodeScratch.current
        scratch.isWriterThread = true
        lock.lock()
        while true {
            var idle = 0
            while active.entries.isEmpty, flushCompleted == flushRequested, dropped == 0 || stopping, !stopping {
                // While events keep coming, look again every millisecond without being woken: a wake-up is a
                // system call on the logging thread. After ten idle looks, sleep until a caller wakes the writer.
                if idle < Self.lightSleeps {
                    idle += 1
                    writerDozing = true
                    lock.wait(timeout: .milliseconds(1))
                    writerDozing = false
                } else {
                    writerWaiting = true
                    lock.wait(timeout: .milliseconds(100))
                    writerWaiting = false
                }
            }
            if active.entries.isEmpty, stopping {
                finishFlushes()
                break
            }
            // Take what is queued; callers continue into the emptied spare.
            swap(&active, &spare)
            // Drops are reported once the pressure has eased: when the batch just taken was not near full.
            let droppedNow = spare.entries.count < capacity / 2 ? dropped : 0
            if droppedNow > 0 { dropped = 0 }
            let flushTicket = flushRequested
            lock.broadcast()  // room again for callers that wait
            lock.unlock()

            // `spare` is the writer's alone until the next swap, which only the writer makes.
            write(spare, scratch: scratch)
            writer.router.endBatch()
            // Releases what the events held (their metadata) here, on the writer, not on the callers.
            spare.entries.removeAll(keepingCapacity: true)
            spare.lines.removeAll()
            spare.lines.shrink(ifLargerThan: lineCapacity, to: lineCapacity)
            if droppedNow > 0 {
                writeDroppedSummary(droppedNow)
                writer.router.endBatch()
            }
            if flushTicket > flushCompleted { for sink in sinks { sink.flush() } }

            lock.lock()
            if flushTicket > flushCompleted, active.entries.isEmpty { flushCompleted = flushTicket }
            lock.broadcast()
        }
        lock.unlock()
    }

    /// Builds and writes every event of one batch, in order.
    private func write(_ batch: Side, scratch: EncodeScratch) {
        for entry in batch.entries {
            switch entry {
            case .pending(let pending):
                writer.write(pending, scratch: scratch)
            case .line(let offset, let count, let level, let storageClass):
                batch.lines.withUnsafeBytes { bytes in
                    writer.deliver(
                        UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)]), level: level,
                        storageClass: storageClass)
                }
            }
        }
    }

    private func finishFlushes() {
        for sink in sinks { sink.flush() }
        flushCompleted = flushRequested
        lock.broadcast()
    }

    /// One event saying how many `ops` events the full queue dropped.
    private func writeDroppedSummary(_ count: Int) {
        var line = OutputBuffer(capacity: 512)
        defer { line.deallocate() }
        line.appendOwnEventHead(
            level: .warning, message: "log events dropped: the queue was full", event: "keel.dropped",
            service: writer.encoder.service, storageClass: .ops)
        line.append("\"dropped\":")
        line.appendDecimal(Int64(count))
        line.append("}}\n")
        line.withUnsafeBytes { bytes in
            writer.router.deliver(bytes, level: .warning, storageClass: .ops)
        }
    }
}

/// A pthread mutex with a condition variable: what the queue's two sides wait on.
final class ConditionLock: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init() {
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    func lock() { pthread_mutex_lock(mutex) }
    func unlock() { pthread_mutex_unlock(mutex) }
    func signal() { pthread_cond_signal(condition) }
    func broadcast() { pthread_cond_broadcast(condition) }
    /// Waits for a signal; the lock must be held.
    func wait() { pthread_cond_wait(condition, mutex) }
    /// Waits for a signal or `timeout`; the lock must be held.
    func wait(timeout: Duration) {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let nanos = Int(now.tv_nsec) + Int(timeout.components.attoseconds / 1_000_000_000) + Int(timeout.components.seconds) * 1_000_000_000
        var deadline = timespec(tv_sec: now.tv_sec + nanos / 1_000_000_000, tv_nsec: nanos % 1_000_000_000)
        pthread_cond_timedwait(condition, mutex, &deadline)
    }
}
