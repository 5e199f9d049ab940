import Synchronization

/// Counters of what Keel did with events other than writing them: what it moved, cut, sampled out or failed to
/// write. Readable in code (and by tests); exported as metrics by a later layer.
public final class Diagnostics: Sendable {
    private let reclassified = Atomic<Int>(0)
    private let truncated = Atomic<Int>(0)
    private let sampled = Atomic<Int>(0)
    private let failures = Atomic<Int>(0)
    private let afterClose = Atomic<Int>(0)

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
    /// Lines given to a sink after it was closed.
    public var writesAfterClose: Int { afterClose.load(ordering: .relaxed) }

    func countReclassified(_ n: Int) { reclassified.add(n, ordering: .relaxed) }
    func countTruncated() { truncated.add(1, ordering: .relaxed) }
    func countSampledOut() { sampled.add(1, ordering: .relaxed) }
    public func countSinkFailure() { failures.add(1, ordering: .relaxed) }
    public func countWriteAfterClose() { afterClose.add(1, ordering: .relaxed) }
}
