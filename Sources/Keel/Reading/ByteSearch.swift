#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Byte comparisons and searches over lines, keys and values: how the normaliser compares names, how blocks compare
/// values, and how line filters find text.
package enum ByteSearch {
    /// Whether `value` is `bytes`.
    @inlinable
    package static func equal(_ value: UnsafeBufferPointer<UInt8>, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { equal(value, $0) }
    }

    /// Whether `a` and `b` hold the same bytes (``same(_:_:count:)`` once their lengths agree).
    @inlinable @inline(__always)
    package static func equal(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        a.count == b.count && (a.isEmpty || same(a.baseAddress!, b.baseAddress!, count: a.count))
    }

    /// Whether the `count` bytes at `a` and at `b` are the same. Keys and values of a block are mostly a few bytes
    /// long and compared once a row each: up to 16 bytes are compared as two words that overlap, with no call (and
    /// inlined into other modules: a call each had cost more than the compare); longer ones by their last eight bytes,
    /// then `memcmp`.
    @inlinable @inline(__always)
    package static func same(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, count: Int) -> Bool {
        func word<T: FixedWidthInteger>(_ p: UnsafePointer<UInt8>, _ offset: Int, as: T.Type) -> T {
            UnsafeRawPointer(p + offset).loadUnaligned(as: T.self)
        }
        switch count {
        case 8...16:
            return word(a, 0, as: UInt64.self) == word(b, 0, as: UInt64.self)
                && word(a, count - 8, as: UInt64.self) == word(b, count - 8, as: UInt64.self)
        case 4..<8:
            return word(a, 0, as: UInt32.self) == word(b, 0, as: UInt32.self)
                && word(a, count - 4, as: UInt32.self) == word(b, count - 4, as: UInt32.self)
        case 0..<4:
            for index in 0..<count where a[index] != b[index] { return false }
            return true
        default:
            // Ids and values that differ mostly differ at their ends (`req-00017`/`req-00018`): those are compared first.
            return word(a, count - 8, as: UInt64.self) == word(b, count - 8, as: UInt64.self) && memcmp(a, b, count) == 0
        }
    }

    /// Whether `value` holds a backslash (`memchr`): text written with an escape, which only its reader can compare.
    @inlinable
    package static func holdsEscape(_ value: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = value.baseAddress else { return false }
        return memchr(base, 0x5C, value.count) != nil
    }

    /// Whether `needle` occurs in `haystack` as written, or, with `foldingASCIICase`, with the haystack's ASCII
    /// letters lower-cased first (the needle is lower-case already).
    package static func contains(_ haystack: UnsafeBufferPointer<UInt8>, _ needle: [UInt8], foldingASCIICase: Bool = false) -> Bool {
        guard !needle.isEmpty else { return true }
        guard needle.count <= haystack.count else { return false }
        guard foldingASCIICase else { return occurs(needle, in: haystack) }
        let first = needle[0]
        var start = 0
        let last = haystack.count - needle.count
        while start <= last {
            var byte = haystack[start]
            if byte >= 0x41, byte <= 0x5A { byte |= 0x20 }
            if byte == first {
                var index = 1
                while index < needle.count {
                    var other = haystack[start + index]
                    if other >= 0x41, other <= 0x5A { other |= 0x20 }
                    if other != needle[index] { break }
                    index += 1
                }
                if index == needle.count { return true }
            }
            start += 1
        }
        return false
    }

    /// Whether `needle` occurs in `haystack` as it is.
    private static func occurs(_ needle: [UInt8], in haystack: UnsafeBufferPointer<UInt8>) -> Bool {
        var found = false
        each(needle, in: haystack) { _ in
            found = true
            return false
        }
        return found
    }

    /// Hands `body` the offset of each place `needle` (not empty) occurs in `haystack`, in order, until it returns
    /// `false`: `memchr` finds each place its last byte is (ids mostly differ at their ends), the first byte is
    /// compared, then `memcmp` checks the rest.
    package static func each(_ needle: [UInt8], in haystack: UnsafeBufferPointer<UInt8>, _ body: (Int) -> Bool) {
        guard let base = haystack.baseAddress, !needle.isEmpty, needle.count <= haystack.count else { return }
        needle.withUnsafeBufferPointer { wanted in
            let tail = wanted.count - 1
            var from = tail
            while from < haystack.count, let hit = memchr(base + from, Int32(wanted[tail]), haystack.count - from) {
                let end = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                let start = end - tail
                if base[start] == wanted[0], memcmp(base + start, wanted.baseAddress!, wanted.count) == 0, !body(start) { return }
                from = end + 1
            }
        }
    }
}
