import Synchronization

/// Generates `event_id`s: UUIDv7 (RFC 9562), unique and sortable by time.
///
/// Layout: 48 bits of Unix milliseconds, the version, 12 bits of sub-millisecond time (RFC 9562 §6.2 method 3),
/// the variant, then 62 bits made of a per-process random prefix (22 bits, drawn once from the system's
/// generator) and a per-process counter (40 bits). Within one process ids therefore never repeat and sort in the
/// order they were made within the same clock tick; across processes the random prefix keeps them apart. No
/// system call or lock is needed per id: one atomic increment.
public struct EventIDGenerator: Sendable {
    private static let counter = Atomic<UInt64>(0)
    private static let processPrefix: UInt64 = {
        var rng = SystemRandomNumberGenerator()
        return rng.next() & 0x3F_FFFF
    }()

    /// The 16 bytes of a new id for an event at `time`.
    @inline(__always)
    public static func next(at time: Timestamp) -> (high: UInt64, low: UInt64) {
        let micros = UInt64(bitPattern: time.microsecondsSinceEpoch)
        let millis = micros / 1000
        let subMillis = ((micros % 1000) << 12) / 1000  // 0..<4096
        let high = (millis << 16) | 0x7000 | subMillis
        let n = counter.add(1, ordering: .relaxed).newValue & 0xFF_FFFF_FFFF
        let low = (0b10 << 62) | (processPrefix << 40) | n
        return (high, low)
    }
}

extension OutputBuffer {
    /// Appends a UUID's canonical text form, `xxxxxxxx-xxxx-7xxx-yxxx-xxxxxxxxxxxx`, lowercase.
    @inline(__always)
    public mutating func appendUUID(high: UInt64, low: UInt64) {
        reserve(36)
        JSONEscaping.hex.withUTF8Buffer { hex in
            var p = count
            func put(_ v: UInt64, nibbles: Int) {
                var shift = (nibbles - 1) * 4
                while shift >= 0 {
                    base[p] = hex[Int((v >> UInt64(shift)) & 0xF)]
                    p += 1
                    shift -= 4
                }
            }
            put(high >> 32, nibbles: 8)
            base[p] = UInt8(ascii: "-"); p += 1
            put(high >> 16, nibbles: 4)
            base[p] = UInt8(ascii: "-"); p += 1
            put(high, nibbles: 4)
            base[p] = UInt8(ascii: "-"); p += 1
            put(low >> 48, nibbles: 4)
            base[p] = UInt8(ascii: "-"); p += 1
            put(low, nibbles: 12)
        }
        count += 36
    }
}
