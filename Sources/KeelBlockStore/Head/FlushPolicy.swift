/// When a head's events go into a block: once there are enough of them for a block worth compressing, once they
/// hold enough bytes that memory and the log should be let go, once the oldest has waited long enough, or when the
/// store closes. A pure decision, tested without files or clocks; the head asks it after every append and when its
/// timer fires.
public struct FlushPolicy: Sendable, Equatable {
    /// A full block's rows.
    public var maximumRows: Int
    /// What the head may hold in lines' bytes before it flushes.
    public var maximumBytes: Int
    /// How long (µs) the oldest event may wait in the head: bounds the log's length and a restart's replay.
    public var maximumAge: Int64

    public init(maximumRows: Int = 4_096, maximumBytes: Int = 8 << 20, maximumAge: Int64 = 30_000_000) {
        self.maximumRows = maximumRows
        self.maximumBytes = maximumBytes
        self.maximumAge = maximumAge
    }

    package enum Reason: Equatable, Sendable {
        case rows, bytes, age, closing
    }

    package enum Decision: Equatable, Sendable {
        /// Nothing to do now; ask again at this time (µs), or after the next append when `nil` (an empty head).
        case wait(until: Int64?)
        case flush(Reason)
    }

    /// What to do with a head of `rows` events holding `bytes`, the oldest of which arrived at `oldest` (µs, wall
    /// clock; `nil` when empty), at `now`.
    package func decide(rows: Int, bytes: Int, oldest: Int64?, now: Int64, closing: Bool = false) -> Decision {
        guard rows > 0, let oldest else { return .wait(until: nil) }
        if closing { return .flush(.closing) }
        if rows >= maximumRows { return .flush(.rows) }
        if bytes >= maximumBytes { return .flush(.bytes) }
        let (due, overflow) = oldest.addingReportingOverflow(maximumAge)
        if overflow { return .wait(until: .max) }
        return now >= due ? .flush(.age) : .wait(until: due)
    }
}
