import Synchronization

/// The values of range aggregations already evaluated, for expressions evaluated together at the same steps: the
/// ruler evaluates a tenant's rules at one instant, and rules often share an aggregation (a warning and a critical
/// threshold on one rate; a share whose denominator another rule counts). Each distinct aggregation then reads the
/// store once for all of them. Keyed by the tenant, the aggregation as LogQL, how its lines are grouped and the
/// steps; a memo lives as long as its caller keeps it (the ruler: one tenant's pass).
package final class RangeMemo: Sendable {
    private let values = Mutex<[String: [LabelSet: [Double?]]]>([:])

    package init() {}

    func value(_ key: String) -> [LabelSet: [Double?]]? { values.withLock { $0[key] } }

    func remember(_ value: [LabelSet: [Double?]], for key: String) { values.withLock { $0[key] = value } }

    /// How many distinct aggregations it holds.
    package var count: Int { values.withLock { $0.count } }
}
