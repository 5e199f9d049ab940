import Synchronization

/// Wakes the open tails of a tenant when its events are stored, so a tail sends them at once instead of finding
/// them at its next look.
final class ArrivalSignal: Sendable {
    private let waiting = Mutex<[String: [UInt64: AsyncStream<ContinuousClock.Instant>.Continuation]]>([:])
    private let lastID = Atomic<UInt64>(0)

    /// Called after events of `tenant` are committed.
    func notify(tenant: String) {
        let continuations = waiting.withLock { $0[tenant].map { Array($0.values) } ?? [] }
        for continuation in continuations { continuation.yield(.now) }
    }

    /// A sequence that yields each time events of `tenant` are stored. Wake-ups that come while its reader is busy
    /// are folded into one: the reader reads everything new anyway. Ends its registration when the reader goes.
    func arrivals(tenant: String) -> AsyncStream<ContinuousClock.Instant> {
        let id = lastID.add(1, ordering: .relaxed).newValue
        let (stream, continuation) = AsyncStream<ContinuousClock.Instant>.makeStream(bufferingPolicy: .bufferingNewest(1))
        waiting.withLock { $0[tenant, default: [:]][id] = continuation }
        continuation.onTermination = { [weak self] _ in
            self?.waiting.withLock {
                $0[tenant]?[id] = nil
                if $0[tenant]?.isEmpty == true { $0[tenant] = nil }
            }
        }
        return stream
    }

    /// How many tails are registered (for tests).
    var registered: Int { waiting.withLock { $0.values.reduce(0) { $0 + $1.count } } }
}
