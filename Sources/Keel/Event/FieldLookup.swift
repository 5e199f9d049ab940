#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds the canonical field a metadata key names, without hashing a `String` through `Dictionary`.
///
/// Called once per metadata key on every log call, so it works on the key's UTF-8 bytes: a hash of the length
/// and five of the bytes picks one of 256 buckets of up to four candidates, then a length check and a byte
/// compare decide. (Every canonical name is at least three bytes long; shorter keys never get here.) The tables are built once from
/// ``FieldCatalogue`` into immortal flat memory, so a lookup takes no reference count and no bounds check.
enum FieldLookup {
    private static let bucketWidth = 4
    private static let bucketCount = 256

    private struct Tables: @unchecked Sendable {
        /// `bucketCount × bucketWidth` field raw values; 0xFF marks an empty place.
        let buckets: UnsafeMutablePointer<UInt8>
        /// Every name's bytes, back to back.
        let names: UnsafeMutablePointer<UInt8>
        /// (offset, length) of each field's name in `names`.
        let spans: UnsafeMutablePointer<(offset: Int32, length: Int32)>
        let shortest: Int
        let longest: Int
    }

    private static let tables: Tables = {
        let names = FieldCatalogue.fields.map { Array($0.name.utf8) }
        precondition(names.allSatisfy { $0.count >= 3 }, "FieldLookup hashes the first two and last two bytes")
        let buckets = UnsafeMutablePointer<UInt8>.allocate(capacity: bucketCount * bucketWidth)
        buckets.initialize(repeating: 0xFF, count: bucketCount * bucketWidth)
        let flat = names.flatMap { $0 }
        let namePointer = UnsafeMutablePointer<UInt8>.allocate(capacity: flat.count)
        namePointer.initialize(from: flat, count: flat.count)
        let spans = UnsafeMutablePointer<(offset: Int32, length: Int32)>.allocate(capacity: names.count)
        var offset = 0
        for (index, name) in names.enumerated() {
            spans[index] = (Int32(offset), Int32(name.count))
            offset += name.count
            let bucket = name.withUnsafeBufferPointer { Int(hash($0)) & (bucketCount - 1) }
            var placed = false
            for slot in 0..<bucketWidth where buckets[bucket * bucketWidth + slot] == 0xFF {
                buckets[bucket * bucketWidth + slot] = UInt8(index)
                placed = true
                break
            }
            precondition(placed, "FieldLookup: more than \(bucketWidth) canonical names share a bucket")
        }
        return Tables(
            buckets: buckets, names: namePointer, spans: spans,
            shortest: names.map(\.count).min() ?? 0, longest: names.map(\.count).max() ?? 0)
    }()

    @inline(__always)
    private static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
        let n = bytes.count
        let b = bytes.baseAddress.unsafelyUnwrapped
        var h = UInt32(truncatingIfNeeded: n) &* 31
        h &+= UInt32(b[0]) &* 7 &+ UInt32(b[1]) &* 3 &+ UInt32(b[n - 1]) &* 11
        h &+= UInt32(b[n - 2]) &* 5 &+ UInt32(b[n / 2]) &* 13
        return h
    }

    /// The field named by `key`, or `nil` when the key is not canonical.
    @inline(__always)
    static func field(named key: String) -> FieldID? {
        if let found = key.utf8.withContiguousStorageIfAvailable({ field(utf8: $0) }) { return found }
        return FieldCatalogue.byName[key]
    }

    @inline(__always)
    static func field(utf8 key: UnsafeBufferPointer<UInt8>) -> FieldID? {
        let t = tables
        let n = key.count
        guard n >= t.shortest, n <= t.longest, let keyBase = key.baseAddress else { return nil }
        let bucket = t.buckets + (Int(hash(key)) & (bucketCount - 1)) * bucketWidth
        for slot in 0..<bucketWidth {
            let candidate = bucket[slot]
            if candidate == 0xFF { return nil }
            let span = t.spans[Int(candidate)]
            if Int(span.length) == n && memcmp(t.names + Int(span.offset), keyBase, n) == 0 {
                return FieldID.unchecked(candidate)
            }
        }
        return nil
    }
}
