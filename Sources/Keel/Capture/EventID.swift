import Crypto
import Synchronization

/// Generates `event_id`s: UUIDv7 (RFC 9562), unique and sortable by time.
///
/// Layout: 48 bits of Unix milliseconds, the version, 12 bits of sub-millisecond time (RFC 9562 §6.2 method 3),
/// the variant, then 62 bits made of a per-process random prefix (22 bits, drawn once from the system's
/// generator) and a per-process counter (40 bits). Within one process ids therefore never repeat and sort in the
/// order they were made within the same clock tick; across processes the random prefix keeps them apart. No
/// system call or lock is needed per id: one atomic increment.
package struct EventIDGenerator: Sendable {
    private static let counter = Atomic<UInt64>(0)
    private static let processPrefix: UInt64 = {
        var rng = SystemRandomNumberGenerator()
        return rng.next() & 0x3F_FFFF
    }()

    /// The 16 bytes of a new id for an event at `time`.
    @inline(__always)
    package static func next(at time: Timestamp) -> (high: UInt64, low: UInt64) {
        let micros = UInt64(bitPattern: time.microsecondsSinceEpoch)
        let millis = micros / 1000
        let subMillis = ((micros % 1000) << 12) / 1000  // 0..<4096
        let high = (millis << 16) | 0x7000 | subMillis
        let n = counter.add(1, ordering: .relaxed).newValue & 0xFF_FFFF_FFFF
        let low = (0b10 << 62) | (processPrefix << 40) | n
        return (high, low)
    }
}

extension EventIDGenerator {
    /// The id of an event that came without one, derived from what was sent: a UUID (version 8) whose first 48
    /// bits are the event's millisecond, so derived ids sort by time like generated ones, and whose other bits are a
    /// SHA-256 of `identity`. The same record sent twice (a retried batch, a file read again) gets the same id, so
    /// stores can drop the copy.
    package static func derived(from identity: UnsafeBufferPointer<UInt8>, at time: Timestamp) -> String {
        let hash = Array(SHA256.hash(data: identity).prefix(16))
        let bits = { (range: Range<Int>) in range.reduce(UInt64(0)) { $0 << 8 | UInt64(hash[$1]) } }
        let millis = UInt64(max(0, time.microsecondsSinceEpoch / 1000)) & 0xFFFF_FFFF_FFFF
        // 48 bits of time, version 8, then the variant bits: the layout of a UUIDv7, with hash bits for the rest.
        return text(high: millis << 16 | 0x8000 | bits(6..<8) & 0x0FFF, low: 0x8000_0000_0000_0000 | bits(8..<16) & 0x3FFF_FFFF_FFFF_FFFF)
    }

    private static func text(high: UInt64, low: UInt64) -> String {
        var out = OutputBuffer(capacity: 36)
        defer { out.deallocate() }
        out.appendUUID(high: high, low: low)
        return String(decoding: out.bytes, as: UTF8.self)
    }

    /// Whether a sender's `event_id` can be kept: 1–128 printable ASCII characters.
    package static func isUsable(_ id: String) -> Bool {
        // Read as one buffer: every ingested event's id passes through here.
        var id = id
        return id.withUTF8 { bytes in !bytes.isEmpty && bytes.count <= 128 && bytes.allSatisfy { $0 > 0x20 && $0 < 0x7F } }
    }
}

extension OutputBuffer {
    /// Two lowercase hex digits per byte value, as the little-endian `UInt16` that stores them in order.
    private static let hexPairs: [UInt16] = (0..<256).map { b in
        let digits = Array("0123456789abcdef".utf8)
        return UInt16(digits[b >> 4]) | UInt16(digits[b & 0xF]) << 8
    }

    /// Appends a UUID's canonical text form, `xxxxxxxx-xxxx-7xxx-yxxx-xxxxxxxxxxxx`, lowercase: two digits per byte
    /// from a table, sixteen stores instead of thirty-two nibble conversions.
    @inline(__always)
    package mutating func appendUUID(high: UInt64, low: UInt64) {
        reserve(36)
        let out = UnsafeMutableRawPointer(base + count)
        Self.hexPairs.withUnsafeBufferPointer { pairs in
            @inline(__always) func put(_ v: UInt64, _ shift: UInt64, at offset: Int) {
                let pair = pairs[Int(truncatingIfNeeded: (v &>> shift) & 0xFF)]
                out.storeBytes(of: pair.littleEndian, toByteOffset: offset, as: UInt16.self)
            }
            put(high, 56, at: 0)
            put(high, 48, at: 2)
            put(high, 40, at: 4)
            put(high, 32, at: 6)
            put(high, 24, at: 9)
            put(high, 16, at: 11)
            put(high, 8, at: 14)
            put(high, 0, at: 16)
            put(low, 56, at: 19)
            put(low, 48, at: 21)
            put(low, 40, at: 24)
            put(low, 32, at: 26)
            put(low, 24, at: 28)
            put(low, 16, at: 30)
            put(low, 8, at: 32)
            put(low, 0, at: 34)
        }
        let dash = UInt8(ascii: "-")
        out.storeBytes(of: dash, toByteOffset: 8, as: UInt8.self)
        out.storeBytes(of: dash, toByteOffset: 13, as: UInt8.self)
        out.storeBytes(of: dash, toByteOffset: 18, as: UInt8.self)
        out.storeBytes(of: dash, toByteOffset: 23, as: UInt8.self)
        count += 36
    }
}
