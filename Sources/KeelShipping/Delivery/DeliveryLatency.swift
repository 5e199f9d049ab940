/// How long lines took from being written to the sink to being acknowledged by the server, as a histogram of whole
/// milliseconds (up to 10 s; longer counted together), and when each line still waiting was written. A pure value:
/// the sink hands in times.
public struct DeliveryLatency: Sendable, Equatable {
    /// Lines acknowledged after each whole number of milliseconds (the last bucket: 10 s or more).
    private var buckets = [Int](repeating: 0, count: 10_001)
    public private(set) var count = 0
    /// When the lines not yet acknowledged were written (nanoseconds on the sink's clock), oldest first, as runs of
    /// lines written in the same millisecond — a long outage holds a run per millisecond, not a time per line; `nil`
    /// for lines written before this process started (read back from the spool).
    struct Run: Sendable, Equatable {
        var time: UInt64?
        var lines: Int
    }
    private(set) var runs: [Run] = []
    /// The first run with lines waiting, and how many of its lines have left.
    private var head = 0
    private var headGone = 0

    package init(recovered: Int = 0) {
        if recovered > 0 { runs = [Run(time: nil, lines: recovered)] }
    }

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
        guard head < runs.count, let first = runs[head].time else { return nil }
        return Int((now &- first) / 1_000_000)
    }

    /// Lines written at `now` (in order).
    package mutating func wrote(_ lines: Int = 1, at now: UInt64) {
        guard lines > 0 else { return }
        if head < runs.count, let last = runs.last, let time = last.time, time / 1_000_000 == now / 1_000_000 {
            runs[runs.count - 1].lines += lines
        } else {
            runs.append(Run(time: now, lines: lines))
        }
    }

    /// The `lines` oldest waiting lines left the spool without being acknowledged (dropped to make room).
    package mutating func forgot(_ lines: Int) {
        take(lines) { _, _ in }
    }

    /// The `lines` oldest waiting lines were acknowledged at `now`.
    package mutating func acknowledged(_ lines: Int, at now: UInt64) {
        var timed: [(milliseconds: Int, lines: Int)] = []
        take(lines) { time, count in
            guard let time else { return }
            timed.append((Int(min((now &- time) / 1_000_000, UInt64(10_000))), count))
        }
        for (milliseconds, count) in timed {
            buckets[milliseconds] += count
            self.count += count
        }
    }

    /// Takes `lines` waiting lines, oldest first, handing each run's part (its time, how many) to `body`.
    private mutating func take(_ lines: Int, _ body: (UInt64?, Int) -> Void) {
        var left = max(0, lines)
        while left > 0, head < runs.count {
            let available = runs[head].lines - headGone
            let taken = min(available, left)
            body(runs[head].time, taken)
            left -= taken
            if taken == available {
                head += 1
                headGone = 0
            } else {
                headGone += taken
            }
        }
        if head > 4096, head * 2 > runs.count {
            runs.removeFirst(head)
            head = 0
        }
    }
}
