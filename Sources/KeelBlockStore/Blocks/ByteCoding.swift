/// Appends the primitives a block is made of: LEB128 unsigned varints, zigzag signed ones, and length-prefixed bytes.
struct ByteWriter {
    var bytes: [UInt8] = []

    mutating func uvarint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    mutating func uvarint(_ value: Int) { uvarint(UInt64(value)) }

    /// A signed number, zigzag encoded: small magnitudes of either sign take one byte.
    mutating func varint(_ value: Int64) { uvarint(Self.zigzag(value)) }

    private static func zigzag(_ value: Int64) -> UInt64 { UInt64(bitPattern: (value << 1) ^ (value >> 63)) }

    /// How many bytes ``uvarint(_:)-(UInt64)`` writes for `value`.
    static func uvarintLength(_ value: UInt64) -> Int { max(1, (64 - value.leadingZeroBitCount + 6) / 7) }

    /// How many bytes ``varint(_:)`` writes for `value`.
    static func varintLength(_ value: Int64) -> Int { uvarintLength(zigzag(value)) }

    /// Numbers as zigzag deltas from the one before (from 0 for the first): times and arrival numbers that grow take
    /// a byte or two each.
    mutating func deltas(_ values: [Int64]) {
        var previous: Int64 = 0
        for value in values {
            varint(value &- previous)
            previous = value
        }
    }

    mutating func data(_ value: some Collection<UInt8>) {
        uvarint(value.count)
        bytes.append(contentsOf: value)
    }

    mutating func uint32(_ value: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }
}

/// Reads what ``ByteWriter`` wrote. Every read is bounds-checked and every count is capped, so bytes from a damaged
/// file fail with ``BlockError/corrupt(_:)``: they never trap and never allocate what they claim.
struct ByteReader {
    let bytes: [UInt8]
    private(set) var offset: Int

    init(_ bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    var isAtEnd: Bool { offset == bytes.count }

    mutating func uvarint() throws(BlockError) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < bytes.count else { throw .corrupt("a number runs past the end") }
            let byte = bytes[offset]
            offset += 1
            guard shift < 64, shift < 63 || byte <= 1 else { throw .corrupt("a number is longer than 64 bits") }
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return value }
            shift += 7
        }
    }

    /// An unsigned number that counts something: at most `limit`.
    mutating func count(atMost limit: Int) throws(BlockError) -> Int {
        let value = try uvarint()
        guard limit >= 0, value <= UInt64(limit) else { throw .corrupt("a count of \(value) is over its limit of \(limit)") }
        return Int(value)
    }

    mutating func varint() throws(BlockError) -> Int64 {
        let value = try uvarint()
        return Int64(bitPattern: value >> 1) ^ -Int64(bitPattern: value & 1)
    }

    /// `count` numbers written by ``ByteWriter/deltas(_:)``.
    mutating func deltas(count: Int) throws(BlockError) -> [Int64] {
        var value: Int64 = 0
        return try uvarints(count) { raw in
            value = value &+ (Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1))
            return value
        }
    }

    /// `count` unsigned numbers that count something, each at most `limit`.
    mutating func counts(_ count: Int, atMost limit: Int) throws(BlockError) -> [Int] {
        var over: UInt64?
        let values = try uvarints(count) { raw -> Int in
            if raw > UInt64(max(limit, 0)) { over = raw }
            return Int(truncatingIfNeeded: raw)
        }
        if let over { throw .corrupt("a count of \(over) is over its limit of \(limit)") }
        return values
    }

    /// `count` lengths of values (unsigned varints, each at least 1, together less than 2 GiB), as the starts of the
    /// values they measure counted from the first's, appended to `starts`; returns where the last ends. The lengths
    /// of a plain column are most of what reading a block's columns reads: most take one byte.
    mutating func lengths(_ count: Int, appendingStartsTo starts: inout [Int32]) throws(BlockError) -> Int {
        var end = 0
        var damage: String?
        starts += try uvarints(count) { length -> Int32 in
            let start = Int32(truncatingIfNeeded: end)
            if length == 0 {
                damage = "an empty value"
            } else if length >= UInt64(Int32.max) - UInt64(end) {
                damage = "values of more than 2 GiB"
            } else {
                end += Int(length)
            }
            return start
        }
        if let damage { throw .corrupt(damage) }
        return end
    }

    /// `count` unsigned varints, each made into a value by `transform`: read straight from the bytes (reading a
    /// block's columns is mostly this).
    @inline(__always)
    private mutating func uvarints<T>(_ count: Int, _ transform: (UInt64) -> T) throws(BlockError) -> [T] {
        guard count >= 0, count <= bytes.count - offset else { throw .corrupt("\(count) numbers in \(bytes.count - offset) bytes") }
        var values: [T] = []
        values.reserveCapacity(count)
        var at = offset
        let failed: Bool = bytes.withUnsafeBufferPointer { buffer in
            for _ in 0..<count {
                var value: UInt64 = 0
                var shift: UInt64 = 0
                while true {
                    guard at < buffer.count else { return true }
                    let byte = buffer[at]
                    at += 1
                    guard shift < 64, shift < 63 || byte <= 1 else { return true }
                    value |= UInt64(byte & 0x7F) << shift
                    if byte < 0x80 { break }
                    shift += 7
                }
                values.append(transform(value))
            }
            return false
        }
        guard !failed else { throw .corrupt("a number runs past the end or past 64 bits") }
        offset = at
        return values
    }

    mutating func byte() throws(BlockError) -> UInt8 {
        guard offset < bytes.count else { throw .corrupt("a byte is missing") }
        defer { offset += 1 }
        return bytes[offset]
    }

    /// Length-prefixed bytes, as the range they occupy.
    mutating func data() throws(BlockError) -> Range<Int> {
        let length = try uvarint()
        // What is left after the length itself.
        guard length <= UInt64(bytes.count - offset) else { throw .corrupt("\(length) bytes of data where \(bytes.count - offset) are left") }
        defer { offset += Int(length) }
        return offset..<(offset + Int(length))
    }

    mutating func uint32() throws(BlockError) -> UInt32 {
        guard bytes.count - offset >= 4 else { throw .corrupt("a checksum is cut short") }
        var value: UInt32 = 0
        for shift in 0..<4 { value |= UInt32(bytes[offset + shift]) << UInt32(8 * shift) }
        offset += 4
        return value
    }
}

extension ByteReader {
    mutating func skip(_ count: Int) throws(BlockError) {
        guard count >= 0, bytes.count - offset >= count else { throw .corrupt("a skip runs past the end") }
        offset += count
    }
}

extension ByteReader {
    /// The next `length` bytes, as the range they occupy.
    mutating func data(length: Int) throws(BlockError) -> Range<Int> {
        let start = offset
        try skip(length)
        return start..<offset
    }
}
