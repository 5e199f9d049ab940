import Keel

/// When and how often a worker that exited is started again.
///
/// The delay before restart *n* (counting from 0) is `initialBackoff × multiplier^n`, at most `maximumBackoff`,
/// scaled by a random factor in `1 ± jitter` so that workers that crashed together do not restart in lockstep. A
/// worker that ran for `stableAfter` before exiting starts again from `initialBackoff`. More than
/// `crashLoopLimit` crashes within `crashLoopWindow` stop the restarts (`worker.crash_loop`) until an operator
/// intervenes (maintenance off, or a new supervisor).
public struct RestartPolicy: Sendable {
    public var initialBackoff: Duration
    public var maximumBackoff: Duration
    public var multiplier: Double
    /// 0 … 1; 0.2 means ±20 %.
    public var jitter: Double
    public var stableAfter: Duration
    public var crashLoopLimit: Int
    public var crashLoopWindow: Duration
    /// How long a stopping worker has after SIGTERM before it gets SIGKILL.
    public var stopGrace: Duration

    public init(
        initialBackoff: Duration = .milliseconds(200), maximumBackoff: Duration = .seconds(30), multiplier: Double = 2,
        jitter: Double = 0.2, stableAfter: Duration = .seconds(60), crashLoopLimit: Int = 5,
        crashLoopWindow: Duration = .seconds(60), stopGrace: Duration = .seconds(10)
    ) {
        precondition(multiplier >= 1 && (0...1).contains(jitter) && crashLoopLimit >= 1, "invalid restart policy")
        self.initialBackoff = initialBackoff
        self.maximumBackoff = maximumBackoff
        self.multiplier = multiplier
        self.jitter = jitter
        self.stableAfter = stableAfter
        self.crashLoopLimit = crashLoopLimit
        self.crashLoopWindow = crashLoopWindow
        self.stopGrace = stopGrace
    }

    /// The delay before restart number `attempt` (0 for the first since the worker was last stable).
    public func backoff(attempt: Int, random: Double = Double.random(in: 0...1)) -> Duration {
        Backoff(initial: initialBackoff, maximum: maximumBackoff, multiplier: multiplier, jitter: jitter).delay(attempt: attempt, random: random)
    }
}
