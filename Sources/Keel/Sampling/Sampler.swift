package import Logging

/// Decides which `ops` events are kept when sample rates below 1 are configured.
///
/// The decision for an event with a `request_id` is a hash of the id, so a kept request keeps every line — in
/// every service that uses the same rate — and a dropped one loses every line. Events without one are sampled
/// independently. WARN and above, and `audit` and `cost` events, are never sampled.
///
/// The rate of an event is the one set for its `event` name, else the one for its level, else ``rate``
/// (`LOG_SAMPLE_RATES=debug=0.01,http.request=0.05`).
package struct Sampler: Sendable {
    /// The fraction of `ops` events kept, 0…1, when no other rate applies.
    package let rate: Double
    /// Rates by level (TRACE to NOTICE: WARN and above are never sampled).
    package let levelRates: [Logger.Level: Double]
    /// Rates by `event` name.
    package let eventRates: [String: Double]
    private let threshold: UInt64
    private let levelThresholds: [Logger.Level: UInt64]
    private let eventThresholds: [String: UInt64]

    package init(rate: Double, levelRates: [Logger.Level: Double] = [:], eventRates: [String: Double] = [:]) {
        precondition(([rate] + levelRates.values + eventRates.values).allSatisfy { $0 >= 0 && $0 <= 1 }, "sample rates must be within 0…1")
        self.rate = rate
        self.levelRates = levelRates
        self.eventRates = eventRates
        self.threshold = Self.threshold(rate)
        self.levelThresholds = levelRates.mapValues(Self.threshold)
        self.eventThresholds = eventRates.mapValues(Self.threshold)
    }

    private static func threshold(_ rate: Double) -> UInt64 {
        rate >= 1 ? .max : UInt64(rate * Double(UInt64(1) << 53)) << 11
    }

    /// Whether everything is kept (no hashing needed).
    package var keepsEverything: Bool { rate >= 1 && levelRates.isEmpty && eventRates.isEmpty }

    @inline(__always)
    package func keeps(level: Logger.Level, storageClass: StorageClass, requestID: String?, eventID: UInt64, event: String? = nil) -> Bool {
        if level >= .warning || !storageClass.isDroppable { return true }
        let threshold = event.flatMap { eventThresholds[$0] } ?? levelThresholds[level] ?? self.threshold
        if threshold == .max { return true }
        let h = requestID.map(Self.hash) ?? Self.mix(eventID)
        return h < threshold
    }

    /// FNV-1a 64 then a final mix: stable across processes and versions, so services agree.
    static func hash(_ text: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in text.utf8 {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01B3
        }
        return mix(h)
    }

    @inline(__always)
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
