/// What to do after one attempt to send a batch over HTTP (an alert notification, a shipped batch of events), as
/// the best shippers decide it: done on a 2xx; again after a backoff on a network error or timeout, a 429 or a 5xx
/// (waiting at least what `Retry-After` asks, up to the backoff's maximum); never again on any other status, which
/// sending the same thing cannot change. A pure decision: the caller sends, sleeps and counts.
package struct DeliveryRetry: Sendable, Equatable {
    package enum Outcome: Sendable, Equatable {
        /// An answer with this status, and its `Retry-After` when it had one.
        case status(Int, retryAfter: Duration? = nil)
        /// No answer: the connection failed or the request timed out.
        case failed
    }

    package enum Decision: Sendable, Equatable {
        case delivered
        case retry(after: Duration)
        /// Not to be sent again, and why.
        case giveUp(String)
    }

    package var backoff: Backoff
    /// Attempts in all before giving up (`nil`: no limit, for what must not be lost).
    package var maximumAttempts: Int?

    package init(
        backoff: Backoff = Backoff(initial: .milliseconds(500), maximum: .seconds(60)), maximumAttempts: Int? = 10
    ) {
        self.backoff = backoff
        self.maximumAttempts = maximumAttempts.map { max(1, $0) }
    }

    /// The decision after attempt number `attempt` (0 for the first) ended with `outcome`; `random` (0…1) picks the
    /// backoff's jitter.
    package func decide(_ outcome: Outcome, attempt: Int, random: Double) -> Decision {
        let retryAfter: Duration?
        switch outcome {
        case .status(let status, _) where (200..<300).contains(status):
            return .delivered
        case .status(let status, let after) where status == 429 || (500..<600).contains(status):
            retryAfter = after
        case .status(let status, _):
            return .giveUp("the receiver answered \(status): sending it again cannot change that")
        case .failed:
            retryAfter = nil
        }
        let attempts = attempt == .max ? attempt : attempt + 1
        if let maximumAttempts, attempts >= maximumAttempts {
            return .giveUp("gave up after \(attempts) attempts")
        }
        let wait = backoff.delay(attempt: attempt, random: random)
        guard let retryAfter, retryAfter > wait else { return .retry(after: wait) }
        return .retry(after: min(retryAfter, backoff.maximum))
    }
}
