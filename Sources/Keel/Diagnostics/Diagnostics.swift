import Synchronization

/// Counters of what Keel did with events other than writing them: what it moved, cut, sampled out or failed to
/// write. Readable in code (and by tests); exported as metrics by a later layer.
public final class Diagnostics: Sendable {
    private let reclassified = Atomic<Int>(0)
    private let truncated = Atomic<Int>(0)
    private let sampled = Atomic<Int>(0)
    private let failures = Atomic<Int>(0)
    private let afterClose = Atomic<Int>(0)
    private let droppedEvents = Atomic<Int>(0)
    private let suppressedEvents = Atomic<Int>(0)
    private let redactions = Mutex<[String: Int]>([:])

    public init() {}

    /// Metadata values that named a canonical field but did not fit its type, or named a field only Keel sets;
    /// each was kept under `context` instead.
    public var reclassifiedFields: Int { reclassified.load(ordering: .relaxed) }
    /// Events whose strings were cut to keep the line under the maximum line size.
    public var truncatedEvents: Int { truncated.load(ordering: .relaxed) }
    /// `ops` events left out by sampling.
    public var sampledOut: Int { sampled.load(ordering: .relaxed) }
    /// Writes a sink could not complete.
    public var sinkFailures: Int { failures.load(ordering: .relaxed) }
    /// `ops` events dropped because the delivery queue was full.
    public var dropped: Int { droppedEvents.load(ordering: .relaxed) }
    /// Events left out by the flood limit.
    public var suppressed: Int { suppressedEvents.load(ordering: .relaxed) }
    /// Lines given to a sink after it was closed.
    public var writesAfterClose: Int { afterClose.load(ordering: .relaxed) }

    /// How many events had each type of value removed by redaction, by type name (`EMAIL`, `SECRET` …).
    public var redactionsByType: [String: Int] { redactions.withLock { $0 } }

    func countRedactions(_ types: [RedactionType]) {
        redactions.withLock { counts in
            for type in types { counts[type.name, default: 0] += 1 }
        }
    }

    func countReclassified(_ n: Int) { reclassified.add(n, ordering: .relaxed) }
    func countTruncated() { truncated.add(1, ordering: .relaxed) }
    func countSampledOut() { sampled.add(1, ordering: .relaxed) }
    func countDropped() { droppedEvents.add(1, ordering: .relaxed) }
    func countSuppressed() { suppressedEvents.add(1, ordering: .relaxed) }
    public func countSinkFailure() { failures.add(1, ordering: .relaxed) }
    public func countWriteAfterClose() { afterClose.add(1, ordering: .relaxed) }
}
