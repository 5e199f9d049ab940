/// How a background loop (retention, and any later one) reports a failure that keeps happening: the first failure is
/// logged at once, the same failure again only once per `reportInterval` with how many times it happened meanwhile,
/// and the loop waits longer after each failure in a row (doubling from `initialBackoff` up to `maximumBackoff`), so a
/// broken disk costs one log line a minute, not a core. A pure state machine: the loop passes the time in.
struct RepeatedFailures: Sendable {
    var initialBackoff: Duration
    var maximumBackoff: Duration
    var reportInterval: Duration

    /// Failures in a row since the last success.
    private(set) var consecutive = 0
    /// The failure last logged, when, and how many of it have gone unlogged since.
    private var lastReported: (description: String, at: ContinuousClock.Instant)?
    private(set) var unreported = 0

    init(initialBackoff: Duration = .seconds(1), maximumBackoff: Duration = .seconds(300), reportInterval: Duration = .seconds(60)) {
        self.initialBackoff = initialBackoff
        self.maximumBackoff = maximumBackoff
        self.reportInterval = reportInterval
    }

    /// What to do after a failure described as `description` at `now`.
    struct Decision: Equatable {
        /// Log it now, saying `occurrences` failures of this kind (this one and those not logged before it).
        var log: Bool
        var occurrences: Int
        /// Wait this long before trying again.
        var retryAfter: Duration
    }

    mutating func failed(_ description: String, at now: ContinuousClock.Instant) -> Decision {
        consecutive += 1
        var backoff = initialBackoff
        for _ in 1..<min(consecutive, 32) where backoff < maximumBackoff { backoff *= 2 }
        backoff = min(backoff, maximumBackoff)
        if let last = lastReported, last.description == description, now - last.at < reportInterval {
            unreported += 1
            return Decision(log: false, occurrences: unreported, retryAfter: backoff)
        }
        // The count of unlogged failures is of the last one logged: another failure starts its own.
        let occurrences = lastReported?.description == description ? unreported + 1 : 1
        lastReported = (description, now)
        unreported = 0
        return Decision(log: true, occurrences: occurrences, retryAfter: backoff)
    }

    /// A success ends the run of failures: the next one is logged at once, and waits the initial backoff.
    mutating func succeeded() {
        consecutive = 0
        lastReported = nil
        unreported = 0
    }
}
