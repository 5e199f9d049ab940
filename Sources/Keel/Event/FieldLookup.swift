/// Finds the canonical field a metadata key names, without hashing a `String` through `Dictionary`.
///
/// Called once per metadata key on every log call, so it works on the key's UTF-8 bytes: FNV-1a into 256
/// buckets of up to four candidates, then a length check and a byte compare. Built once from ``FieldCatalogue``.
enum FieldLookup {
    private static let bucketWidth = 4
    private static let bucketCount = 256

    private static let names: [[UInt8]] = FieldCatalogue.fields.map { Array($0.name.utf8) }
    private static let shortest = names.map(\.count).min() ?? 0
    private static let longest = names.map(\.count).max() ?? 0

    /// `bucketCount × bucketWidth` field raw values; 0xFF marks an empty place.
    private static let table: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: bucketCount * bucketWidth)
        for (index, name) in names.enumerated() {
            let bucket = name.withUnsafeBufferPointer { Int(hash($0)) & (bucketCount - 1) }
            var placed = false
            for slot in 0..<bucketWidth where table[bucket * bucketWidth + slot] == 0xFF {
                table[bucket * bucketWidth + slot] = UInt8(index)
                placed = true
                break
            }
            precondition(placed, "FieldLookup: more than \(bucketWidth) canonical names share a bucket")
        }
        return table
    }()

    @inline(__always)
    private static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
        var h: UInt32 = 0x811C_9DC5
        for b in bytes {
            h ^= UInt32(b)
            h = h &* 0x0100_0193
        }
        return h
    }

    /// The field named by `key`, or `nil` when the key is not canonical.
    @inline(__always)
    static func field(named key: String) -> FieldID? {
        if let found = key.utf8.withContiguousStorageIfAvailable({ field(utf8: $0) }) { return found }
        return FieldCatalogue.field(named: key)
    }

    static func field(utf8 key: UnsafeBufferPointer<UInt8>) -> FieldID? {
        let n = key.count
        guard n >= shortest, n <= longest else { return nil }
        let bucket = Int(hash(key)) & (bucketCount - 1)
        return table.withUnsafeBufferPointer { table in
            for slot in 0..<bucketWidth {
                let candidate = table[bucket * bucketWidth + slot]
                if candidate == 0xFF { return nil }
                let matches = names[Int(candidate)].withUnsafeBufferPointer { name in
                    name.count == n && memcmpEqual(name.baseAddress!, key.baseAddress!, n)
                }
                if matches { return FieldID(rawValue: candidate) }
            }
            return nil
        }
    }

    @inline(__always)
    private static func memcmpEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        for i in 0..<n where a[i] != b[i] { return false }
        return true
    }
}
