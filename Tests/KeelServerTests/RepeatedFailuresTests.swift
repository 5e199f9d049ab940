@testable import KeelServer
import Testing

/// A failure that repeats is logged once per interval with a count, and retried with growing backoff.
struct RepeatedFailuresTests {
    @Test func theSameFailureIsLoggedOncePerIntervalWithACount() {
        var failures = RepeatedFailures(initialBackoff: .seconds(1), maximumBackoff: .seconds(8), reportInterval: .seconds(60))
        let start = ContinuousClock.now
        let first = failures.failed("disk I/O error", at: start)
        #expect(first == .init(log: true, occurrences: 1, retryAfter: .seconds(1)))
        // The same failure within the minute: not logged, counted, and waited for longer each time.
        let waits = (1...4).map { n in failures.failed("disk I/O error", at: start + .seconds(n)) }
        #expect(waits.map(\.log) == [false, false, false, false])
        #expect(waits.map(\.retryAfter) == [.seconds(2), .seconds(4), .seconds(8), .seconds(8)])
        // A minute on: logged again, saying how many happened meanwhile.
        let later = failures.failed("disk I/O error", at: start + .seconds(61))
        #expect(later.log && later.occurrences == 5)
        // Another failure is news: logged at once.
        #expect(failures.failed("permission denied", at: start + .seconds(62)).log)
        // A success resets the backoff and the reporting.
        failures.succeeded()
        #expect(failures.failed("permission denied", at: start + .seconds(63)) == .init(log: true, occurrences: 1, retryAfter: .seconds(1)))
    }

    @Test func backoffNeverOverflowsHoweverLongTheRun() {
        var failures = RepeatedFailures(initialBackoff: .seconds(1), maximumBackoff: .seconds(300), reportInterval: .seconds(60))
        var last = failures.failed("x", at: .now)
        for _ in 0..<10_000 { last = failures.failed("x", at: .now) }
        #expect(last.retryAfter == .seconds(300))
    }
}
