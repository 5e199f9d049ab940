#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Exponential backoff with jitter: the delay before retry *n* (counting from 0) is `initial × multiplier^n`, at most
/// `maximum`, scaled by a factor in `1 ± jitter` (`random`, 0…1, picks it) so that clients that failed together do not
/// retry in lockstep. What a supervised worker's restarts and a delivery's retries wait.
package struct Backoff: Sendable, Equatable {
    package var initial: Duration
    package var maximum: Duration
    package var multiplier: Double
    /// 0 … 1; 0.2 means ±20 %.
    package var jitter: Double

    package init(initial: Duration, maximum: Duration, multiplier: Double = 2, jitter: Double = 0.2) {
        self.initial = initial
        self.maximum = maximum
        self.multiplier = max(1, multiplier)
        self.jitter = min(1, max(0, jitter))
    }

    package func delay(attempt: Int, random: Double) -> Duration {
        let base = initial.inMilliseconds * pow(multiplier, Double(min(max(attempt, 0), 64)))
        let capped = min(base, maximum.inMilliseconds)
        let factor = 1 - jitter + 2 * jitter * min(1, max(0, random))
        return .microseconds(Int64(capped * factor * 1e3))
    }
}
