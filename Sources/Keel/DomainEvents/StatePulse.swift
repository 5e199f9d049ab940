public import Logging

/// Writes `state.pulse` events for one piece of state: a hash of each snapshot and the names of the keys that
/// changed since the previous pulse — never the values, which may hold anything.
///
/// ```swift
/// var pulse = StatePulse("session_cache")
/// pulse.record(["entries": "\(cache.count)", "mode": mode.rawValue], to: logger)
/// ```
public struct StatePulse: Sendable {
    public let state: String
    /// Each key's value digest at the previous pulse.
    private var previous: [String: PayloadSummary] = [:]

    public init(_ state: String) {
        self.state = state
    }

    /// Writes one pulse for `snapshot` and remembers it. The first pulse lists every key as changed.
    public mutating func record(
        _ snapshot: [String: String], to logger: Logger, metadata: Logger.Metadata = [:], file: String = #fileID,
        function: String = #function, line: UInt = #line
    ) {
        var digests: [String: PayloadSummary] = [:]
        var canonical: [UInt8] = []
        for key in snapshot.keys.sorted() {
            let value = snapshot[key] ?? ""
            digests[key] = PayloadSummary(value)
            // Length-prefixed, so that no two different snapshots share an encoding.
            for part in [key, value] {
                canonical += "\(part.utf8.count):".utf8
                canonical += part.utf8
            }
        }
        let changed = Set(digests.keys).union(previous.keys).filter { digests[$0] != previous[$0] }.sorted()
        previous = digests
        var fields = metadata
        fields["state"] = .string(state)
        fields["state_sha256"] = .string(PayloadSummary(canonical).sha256)
        fields["changed_keys"] = .array(changed.map { .string($0) })
        logger.log(EventCatalogue.statePulse, "state pulse: \(state)", metadata: fields, file: file,
            function: function, line: line)
    }
}
