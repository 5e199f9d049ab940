public import Logging

/// Decides which `ops` events are kept when a sample rate below 1 is configured.
///
/// The decision for an event with a `request_id` is a hash of the id, so a kept request keeps every line — in
/// every service that uses the same rate — and a dropped one loses every line. Events without one are sampled
/// independently. WARN and above, and `audit` and `cost` events, are never sampled.
public struct Sampler: Sendable {
    /// The fraction of `ops` events kept, 0…1.
    public let rate: Double
    private let threshold: UInt64

    public init(rate: Double) {
        precondition(rate >= 0 && rate <= 1, "sample rate must be within 0…1")
        self.rate = rate
        self.threshold = rate >= 1 ? .max : UInt64(rate * Double(UInt64(1) << 53)) << 11
    }

    /// Whether everything is kept (no hashing needed).
    public var keepsEverything: Bool { rate >= 1 }

    @inline(__always)
    public func keeps(level: Logger.Level, storageClass: StorageClass, requestID: String?, eventID: UInt64) -> Bool {
        if rate >= 1 || level >= .warning || !storageClass.isDroppable { return true }
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
