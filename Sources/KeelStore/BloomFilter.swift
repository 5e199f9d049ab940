/// A Bloom filter over what a group of stored events holds — its id values, the trigrams of its messages: "might
/// this chunk (or block) hold `request_id = X`, or the text `timeout`?" with no false negatives and about 1 % false
/// positives at the filter's designed size.
///
/// Why not an index: the ids are random, so a B-tree over each of them dirties a page per event per index, which
/// costs most of the ingest rate (docs/benchmarks.md, "Design measurements"). A group's filter is one small blob
/// written with the group, and a lookup tests every group's filter (cached) and then scans only the groups that
/// might match — the approach of Loki's chunk index, ClickHouse's skip indexes and VictoriaLogs' per-block filters.
package struct BloomFilter: Equatable, Sendable {
    /// The filter's bits, 64 per word.
    package private(set) var words: [UInt64]
    static let hashes = 7

    /// A filter sized for `capacity` values: ~1 % false positives at 10 bits per value (the default), ~0.1 % at 15.
    package init(capacity: Int, bitsPerValue: Int = 10) {
        let bits = max(64, capacity * bitsPerValue)
        words = Array(repeating: 0, count: (bits + 63) / 64)
    }

    /// The filter stored as `bytes` (``bytes``). A lookup after a restart reads every block's filter of the day, so
    /// the words are loaded eight bytes at a time, not assembled a byte at a time.
    package init?(bytes: [UInt8]) { self.init(bytes: bytes[...]) }

    package init?(bytes: ArraySlice<UInt8>) {
        guard !bytes.isEmpty, bytes.count % 8 == 0 else { return nil }
        words = [UInt64](unsafeUninitializedCapacity: bytes.count / 8) { words, filled in
            bytes.withUnsafeBytes { UnsafeMutableRawBufferPointer(words).copyMemory(from: $0) }
            for index in words.indices { words[index] = UInt64(littleEndian: words[index]) }
            filled = words.count
        }
    }

    /// Little-endian bytes, as stored.
    package var bytes: [UInt8] {
        var out = [UInt8](repeating: 0, count: words.count * 8)
        out.withUnsafeMutableBytes { raw in
            for (index, word) in words.enumerated() { raw.storeBytes(of: word.littleEndian, toByteOffset: index * 8, as: UInt64.self) }
        }
        return out
    }

    /// The bit positions of one value, computed once and tested against any number of filters.
    package struct Probe: Hashable, Sendable {
        let h1: UInt64
        let h2: UInt64

        /// An id value of `field`.
        package init(_ field: IDField, _ value: String) {
            self.init(field, bytes: value.utf8)
        }

        /// An id value of `field`, as its UTF-8 bytes (the same probe as its text's).
        package init(_ field: IDField, bytes: some Sequence<UInt8>) {
            var hash = StableHash()
            hash.add(field.rawValue)
            hash.add(bytes: bytes)
            self.init(hash)
        }

        /// The same, for bytes in memory: no generic in the way.
        package init(_ field: IDField, bytes: UnsafeBufferPointer<UInt8>) {
            var hash = StableHash()
            hash.add(field.rawValue)
            hash.add(bytes: bytes)
            self.init(hash)
        }

        /// A token: any bytes (a trigram of a message, say).
        package init(token: some Sequence<UInt8>) {
            var hash = StableHash()
            hash.add(bytes: token)
            self.init(hash)
        }

        /// The same, for bytes in memory.
        package init(token: UnsafeBufferPointer<UInt8>) {
            var hash = StableHash()
            hash.add(bytes: token)
            self.init(hash)
        }

        private init(_ hash: StableHash) {
            // Double hashing (Kirsch–Mitzenmacher): position i is h1 + i·h2.
            h1 = hash.value & 0xFFFF_FFFF
            h2 = (hash.value >> 32) | 1
        }

        /// Both halves in one number, to gather probes in a plain array (sorted, equal ones are the same probe).
        package var packed: UInt64 { h1 | (h2 << 32) }

        package init(packed: UInt64) {
            h1 = packed & 0xFFFF_FFFF
            h2 = packed >> 32
        }
    }

    package mutating func insert(_ probe: Probe) {
        let bitCount = UInt64(words.count * 64)
        words.withUnsafeMutableBufferPointer { words in
            Self.forEachBit(of: probe, in: bitCount) { bit in
                words[Int(bit / 64)] |= 1 << (bit % 64)
                return true
            }
        }
    }

    package func mightContain(_ probe: Probe) -> Bool {
        let bitCount = UInt64(words.count * 64)
        return words.withUnsafeBufferPointer { words in
            Self.forEachBit(of: probe, in: bitCount) { bit in words[Int(bit / 64)] & (1 << (bit % 64)) != 0 }
        }
    }

    /// The probe's bits in a filter of `bitCount` bits: `(h1 + i·h2) mod bitCount` for each of the ``hashes``
    /// values of `i`. Both halves are under 2³², so the sums never wrap and the positions follow one another by
    /// adding `h2 mod bitCount`: two divisions for all seven (a division is the dearest step of a probe; a lookup
    /// tests every block filter of its day). `body` returns whether to go on; returns whether it went through all.
    @inline(__always)
    @discardableResult
    private static func forEachBit(of probe: Probe, in bitCount: UInt64, _ body: (UInt64) -> Bool) -> Bool {
        var bit = probe.h1 % bitCount
        let step = probe.h2 % bitCount
        for _ in 0..<hashes {
            guard body(bit) else { return false }
            bit += step
            if bit >= bitCount { bit -= bitCount }
        }
        return true
    }
}

/// FNV-1a, 64 bits, with a final avalanche: a hash that is the same in every process and on every machine, as the
/// filters and dedupe keys on disk need (Swift's `Hasher` is seeded per process).
package struct StableHash {
    private(set) var state: UInt64 = 0xCBF2_9CE4_8422_2325

    package init() {}

    package mutating func add(_ text: String) { add(bytes: text.utf8) }

    package mutating func add(bytes: some Sequence<UInt8>) {
        // Called across modules, where the generic cannot be specialised: contiguous bytes (arrays, slices, UTF-8
        // views) take the loop over a buffer instead of an iterator per byte.
        if let hashed = bytes.withContiguousStorageIfAvailable({ Self.hash(state, $0) }) {
            state = Self.separated(hashed)
            return
        }
        var hash = state
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        state = Self.separated(hash)
    }

    /// The same for bytes in memory, with no generic in the way (the block store hashes ids this way).
    package mutating func add(bytes: UnsafeBufferPointer<UInt8>) {
        state = Self.separated(Self.hash(state, bytes))
    }

    private static func hash(_ state: UInt64, _ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hash = state
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return hash
    }

    /// A separator after each part, so that ("ab", "c") and ("a", "bc") differ.
    private static func separated(_ hash: UInt64) -> UInt64 { (hash ^ 0xFF) &* 0x0000_0100_0000_01B3 }

    package var value: UInt64 {
        var z = state
        z = (z ^ (z >> 33)) &* 0xFF51_AFD7_ED55_8CCD
        z = (z ^ (z >> 33)) &* 0xC4CE_B9FE_1A85_EC53
        return z ^ (z >> 33)
    }
}
