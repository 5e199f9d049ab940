@testable import KeelBlockStore
import Testing

/// When a head flushes, decided without files or clocks.
struct FlushPolicyTests {
    static let policy = FlushPolicy(maximumRows: 100, maximumBytes: 1_000, maximumAge: 30_000_000)

    @Test(arguments: [
        // rows, bytes, oldest, now, closing → decision
        (0, 0, nil, 5, false, FlushPolicy.Decision.wait(until: nil)),
        (0, 0, nil, 5, true, .wait(until: nil)),
        (1, 10, 1_000, 2_000, false, .wait(until: 30_001_000)),
        (1, 10, 1_000, 30_001_000, false, .flush(.age)),
        (99, 999, 1_000, 2_000, false, .wait(until: 30_001_000)),
        (100, 10, 1_000, 2_000, false, .flush(.rows)),
        (5, 1_000, 1_000, 2_000, false, .flush(.bytes)),
        (5, 10, 1_000, 2_000, true, .flush(.closing)),
        (1, 10, Int64.max - 5, Int64.max, false, .wait(until: .max)),
    ] as [(Int, Int, Int64?, Int64, Bool, FlushPolicy.Decision)])
    func decides(rows: Int, bytes: Int, oldest: Int64?, now: Int64, closing: Bool, expected: FlushPolicy.Decision) {
        #expect(Self.policy.decide(rows: rows, bytes: bytes, oldest: oldest, now: now, closing: closing) == expected)
    }
}
