/// How long lines took from being written to the sink to being acknowledged by the server, as a histogram of whole
/// milliseconds (up to 10 s; longer counted together), and when each line still waiting was written. A pure value:
/// the sink hands in times.
public struct DeliveryLatency: Sendable, Equatable {
    /// Lines acknowledged after each whole number of milliseconds (the last bucket: 10 s or more).
    private var buckets = [Int](repeating: 0, count: 10_001)
    public private(set) var count = 0
    /// When each line not yet acknowledged was written (nanoseconds on the sink's clock), oldest first; `nil` for a
    /// line written before this process started (read back from the spool).
    private var written: [UInt64?] = []
    private var head = 0

    package init(recovered: Int = 0) { written = Array(repeating: nil, count: max(0, recovered)) }

    /// This histogram and `other`'s together (for quantiles over several senders; what waits is not carried).
    package func adding(_ other: DeliveryLatency) -> DeliveryLatency {
        var total = DeliveryLatency()
        for index in buckets.indices { total.buckets[index] = buckets[index] + other.buckets[index] }
        total.count = count + other.count
        return total
    }

    /// The `fraction` (0…1) quantile in milliseconds, or `nil` before any line was acknowledged.
    public func quantile(_ fraction: Double) -> Int? {
        guard count > 0 else { return nil }
        let rank = max(1, Int((Double(count) * min(1, max(0, fraction))).rounded(.up)))
        var seen = 0
        for (milliseconds, n) in buckets.enumerated() {
            seen += n
            if seen >= rank { return milliseconds }
        }
        return buckets.count - 1
    }

    /// How long the oldest line still waiting has waited (ms), when it was written by this process.
    public func oldestWaiting(now: UInt64) -> Int? {
        guard head < written.count, let first = written[head] else { return nil }
        return Int((now &- first) / 1_000_000)
    }

    /// Lines written at `now` (in order).
    package mutating func wrote(_ lines: Int = 1, at now: UInt64) {
        for _ in 0..<lines { written.append(now) }
    }

    /// The `lines` oldest waiting lines left the spool without being acknowledged (dropped to make room).
    package mutating func forgot(_ lines: Int) {
        head = min(written.count, head + max(0, lines))
        compact()
    }

    /// The `lines` oldest waiting lines were acknowledged at `now`.
    package mutating func acknowledged(_ lines: Int, at now: UInt64) {
        let end = min(written.count, head + max(0, lines))
        for index in head..<end {
            guard let time = written[index] else { continue }
            let milliseconds = Int(min((now &- time) / 1_000_000, UInt64(buckets.count - 1)))
            buckets[milliseconds] += 1
            count += 1
        }
        head = end
        compact()
    }

    private mutating func compact() {
        if head > 4096, head * 2 > written.count {
            written.removeFirst(head)
            head = 0
        }
    }
}
