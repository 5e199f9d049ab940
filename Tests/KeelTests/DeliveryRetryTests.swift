@testable import Keel
import Testing

/// Retries as the best shippers make them: only what sending again can fix, backing off with jitter, honouring
/// Retry-After within the backoff's maximum, and giving up after the attempts allowed.
struct DeliveryRetryTests {
    static let retry = DeliveryRetry(backoff: Backoff(initial: .seconds(1), maximum: .seconds(30), multiplier: 2, jitter: 0.5), maximumAttempts: 5)

    @Test(arguments: [
        (DeliveryRetry.Outcome.status(200), DeliveryRetry.Decision.delivered),
        (.status(204), .delivered),
        (.status(500), .retry(after: .seconds(4))),
        (.status(503), .retry(after: .seconds(4))),
        (.status(429), .retry(after: .seconds(4))),
        (.failed, .retry(after: .seconds(4))),
        (.status(429, retryAfter: .seconds(10)), .retry(after: .seconds(10))),
        (.status(503, retryAfter: .seconds(1)), .retry(after: .seconds(4))),
        (.status(503, retryAfter: .seconds(3600)), .retry(after: .seconds(30))),
        (.status(400), .giveUp("the receiver answered 400: sending it again cannot change that")),
        (.status(401), .giveUp("the receiver answered 401: sending it again cannot change that")),
        (.status(404), .giveUp("the receiver answered 404: sending it again cannot change that")),
        (.status(302), .giveUp("the receiver answered 302: sending it again cannot change that")),
    ])
    func eachOutcomeHasItsDecision(outcome: DeliveryRetry.Outcome, expected: DeliveryRetry.Decision) {
        // Attempt 2 (the third), jitter at its middle: 1 s × 2² = 4 s.
        #expect(Self.retry.decide(outcome, attempt: 2, random: 0.5) == expected)
    }

    @Test func delaysGrowWithJitterUpToTheMaximumThenItGivesUp() {
        let delays = (0..<4).map { Self.retry.decide(.failed, attempt: $0, random: 0.5) }
        #expect(delays == [.retry(after: .seconds(1)), .retry(after: .seconds(2)), .retry(after: .seconds(4)), .retry(after: .seconds(8))])
        #expect(Self.retry.decide(.failed, attempt: 1, random: 0) == .retry(after: .seconds(1)), "half as long at the jitter's low end")
        #expect(Self.retry.decide(.failed, attempt: 1, random: 1) == .retry(after: .seconds(3)), "one and a half as long at its high end")
        #expect(Self.retry.decide(.status(500), attempt: 4, random: 0.5) == .giveUp("gave up after 5 attempts"))
        #expect(Self.retry.decide(.status(200), attempt: 4, random: 0.5) == .delivered, "a success is a success, whenever")
        let forever = DeliveryRetry(backoff: Backoff(initial: .seconds(1), maximum: .seconds(30)), maximumAttempts: nil)
        #expect(forever.decide(.failed, attempt: 1_000, random: 0.5) == .retry(after: .seconds(30)))
        #expect(forever.decide(.failed, attempt: .max, random: 2) == .retry(after: .seconds(36)), "no trap, the jitter clamped")
    }
}
