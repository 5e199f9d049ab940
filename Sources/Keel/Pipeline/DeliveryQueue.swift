#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
public import Logging

/// The bounded queue between the threads that log and the one thread that writes: callers copy their finished
/// line in (a lock and a `memcpy`), the writer takes everything queued at once and hands it to the sinks.
///
/// Two byte buffers take turns: callers append records to the active one while the writer works through the other,
/// so neither side waits on the other's work and the writer allocates nothing per event. When the active buffer is
/// full, `ops` events are dropped and counted — the writer reports the count in one `keel.dropped` event once the
/// pressure is over — and `audit` and `cost` events make their caller wait for room: they are never dropped.
final class DeliveryQueue: @unchecked Sendable {
    /// Record header: length (4 bytes), level (1), storage class (1).
    private static let headerSize = 6

    private let capacity: Int
    private let router: SinkRouter
    private var sinks: [any LogSink] { router.sinks }
    private let diagnostics: Diagnostics
    private let service: String
    private let lock = ConditionLock()
    // Guarded by `lock`.
    private var active: OutputBuffer
    private var spare: OutputBuffer
    private var writerWaiting = false
    private var stopping = false
    private var dropped = 0
    private var flushRequested = 0
    private var flushCompleted = 0
    private var thread: pthread_t?

    /// - Parameter capacity: bytes of queued lines at most (each buffer); memory stays within twice that.
    init(capacity: Int, router: SinkRouter, service: String, diagnostics: Diagnostics) {
        self.capacity = max(capacity, 64 * 1024)
        self.router = router
        self.service = service
        self.diagnostics = diagnostics
        self.active = OutputBuffer(capacity: self.capacity)
        self.spare = OutputBuffer(capacity: self.capacity)
        startWriter()
    }

    deinit {
        active.deallocate()
        spare.deallocate()
    }

    /// Queues one line. `ops` lines are dropped when the queue is full; other classes wait for room.
    func enqueue(_ line: UnsafeRawBufferPointer, level: Logger.Level, storageClass: StorageClass) {
        let needed = Self.headerSize + line.count
        lock.lock()
        if stopping {
            lock.unlock()
            diagnostics.countWriteAfterClose()
            return
        }
        while active.count + needed > capacity, active.count > 0 {
            if storageClass == .ops || stopping {
                dropped += 1
                lock.unlock()
                diagnostics.countDropped()
                return
            }
            lock.signal()
            lock.wait()
        }
        var length = UInt32(line.count).littleEndian
        withUnsafeBytes(of: &length) { active.append($0) }
        active.append(UInt8(truncatingIfNeeded: Logger.Level.allCases.firstIndex(of: level) ?? 2))
        active.append(storageClass.code)
        active.append(line)
        let wake = writerWaiting
        lock.unlock()
        if wake { lock.signal() }
    }

    /// Bytes the queue's two buffers hold allocated: stays within twice the capacity whatever the load, unless a
    /// single line is larger than the capacity.
    var allocatedBytes: Int {
        lock.lock()
        defer { lock.unlock() }
        return active.capacity + spare.capacity
    }

    /// Returns once everything queued before the call is written and every sink flushed, or at `deadline`.
    /// - Returns: whether it finished in time.
    @discardableResult
    func flush(deadline: Duration = .seconds(10)) -> Bool {
        let end = ContinuousClock.now + deadline
        lock.lock()
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

    /// Writes out what is queued (within `deadline`), stops the writer and closes the sinks. Lines queued after
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

    /// The writer: takes the active buffer whole, writes its lines to the sinks, and repeats; sleeps when idle.
    private func runWriter() {
        lock.lock()
        while true {
            while active.count == 0, flushCompleted == flushRequested, dropped == 0 || stopping, !stopping {
                writerWaiting = true
                lock.wait(timeout: .milliseconds(100))
                writerWaiting = false
            }
            if active.count == 0, stopping {
                finishFlushes()
                break
            }
            // Take what is queued; callers continue into the emptied spare.
            swap(&active, &spare)
            // Drops are reported once the pressure has eased: when the batch just taken was not near full.
            let droppedNow = spare.count < capacity / 2 ? dropped : 0
            if droppedNow > 0 { dropped = 0 }
            let flushTicket = flushRequested
            lock.broadcast()  // room again for callers that wait
            lock.unlock()

            // `spare` is the writer's alone until the next swap, which only the writer makes.
            write(spare)
            if droppedNow > 0 { writeDroppedSummary(droppedNow) }
            if flushTicket > flushCompleted { for sink in sinks { sink.flush() } }

            lock.lock()
            spare.removeAll()
            spare.shrink(ifLargerThan: capacity, to: capacity)
            if flushTicket > flushCompleted, active.count == 0 { flushCompleted = flushTicket }
            lock.broadcast()
        }
        lock.unlock()
    }

    private func finishFlushes() {
        for sink in sinks { sink.flush() }
        flushCompleted = flushRequested
        lock.broadcast()
    }

    /// Hands every record of `batch` to the sinks that take its class.
    private func write(_ batch: OutputBuffer) {
        batch.withUnsafeBytes { bytes in
            var offset = 0
            while offset + Self.headerSize <= bytes.count {
                let length = Int(bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian)
                let level = Logger.Level.allCases[Int(bytes[offset + 4])]
                let storageClass = StorageClass(code: bytes[offset + 5])
                let line = UnsafeRawBufferPointer(rebasing: bytes[(offset + Self.headerSize)..<(offset + Self.headerSize + length)])
                router.deliver(line, level: level, storageClass: storageClass)
                offset += Self.headerSize + length
            }
        }
    }

    /// One event saying how many `ops` events the full queue dropped.
    private func writeDroppedSummary(_ count: Int) {
        var line = OutputBuffer(capacity: 512)
        defer { line.deallocate() }
        line.appendOwnEventHead(
            level: .warning, message: "log events dropped: the queue was full", event: "keel.dropped", service: service,
            storageClass: .ops)
        line.append("\"dropped\":")
        line.appendDecimal(Int64(count))
        line.append("}}\n")
        line.withUnsafeBytes { bytes in
            router.deliver(bytes, level: .warning, storageClass: .ops)
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
