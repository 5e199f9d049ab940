extension Duration {
    /// The duration in milliseconds, with nanosecond precision: the unit of every `duration_ms` Keel writes.
    public var inMilliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1e3 + Double(attoseconds / 1_000_000_000) / 1e6
    }
}
