import Foundation

/// How the query benchmarks time a query: once to warm up, then 20 times; p50 is the 11th fastest, p99 the slowest.
public enum Latency {
    /// Milliseconds in `duration`.
    public static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }

    /// Runs `body` (which returns how many it found) and prints `name: p50 …, p99 … (N found)`. With
    /// `KEEL_LATENCY_WARMUPS=N` in the environment, it runs `body` N times first instead of once, and with
    /// `KEEL_LATENCY_ONLY=TEXT` only the measurements whose name holds TEXT run (for a profiler).
    public static func measure(_ name: String, _ body: () throws -> Int) rethrows {
        if let only = ProcessInfo.processInfo.environment["KEEL_LATENCY_ONLY"], !name.contains(only) { return }
        let clock = ContinuousClock()
        let warmups = ProcessInfo.processInfo.environment["KEEL_LATENCY_WARMUPS"].flatMap { Int($0) } ?? 1
        for _ in 0..<max(1, warmups) { _ = try body() }
        var times: [Double] = []
        var found = 0
        for _ in 0..<20 {
            let began = clock.now
            found = try body()
            times.append(milliseconds(clock.now - began))
        }
        times.sort()
        print(String(format: "%@: p50 %.1f ms, p99 %.1f ms (%d found)", name, times[10], times[19], found))
    }
}
