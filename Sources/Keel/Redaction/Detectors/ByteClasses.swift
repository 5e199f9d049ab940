#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Character classes over UTF-8 bytes, for the detectors. Branch-light and allocation-free.
enum ByteClass {
    @inline(__always) static func isDigit(_ b: UInt8) -> Bool { b &- 0x30 < 10 }
    @inline(__always) static func isUpper(_ b: UInt8) -> Bool { b &- 0x41 < 26 }
    @inline(__always) static func isLower(_ b: UInt8) -> Bool { b &- 0x61 < 26 }
    @inline(__always) static func isAlpha(_ b: UInt8) -> Bool { isUpper(b) || isLower(b) }
    @inline(__always) static func isAlnum(_ b: UInt8) -> Bool { isDigit(b) || isAlpha(b) }
    @inline(__always) static func isHex(_ b: UInt8) -> Bool { isDigit(b) || (b | 0x20) &- 0x61 < 6 }
    /// Letters, digits and `_`: what glues a token to its neighbour.
    @inline(__always) static func isWord(_ b: UInt8) -> Bool { isAlnum(b) || b == 0x5F }
    /// base64url and base64 alphabet (without padding).
    @inline(__always) static func isBase64URL(_ b: UInt8) -> Bool { isAlnum(b) || b == 0x2D || b == 0x5F }
    @inline(__always) static func isBase64(_ b: UInt8) -> Bool { isAlnum(b) || b == 0x2B || b == 0x2F }
    /// Characters of a credential token: RFC 6750 b64token plus `~`.
    @inline(__always) static func isTokenChar(_ b: UInt8) -> Bool {
        isAlnum(b) || b == 0x2D || b == 0x2E || b == 0x5F || b == 0x7E || b == 0x2B || b == 0x2F || b == 0x3D
    }
    @inline(__always) static func lower(_ b: UInt8) -> UInt8 { isUpper(b) ? b | 0x20 : b }
}

/// A stretch of the scanned bytes that a detector wants replaced.
struct Finding: Comparable {
    var start: Int
    var end: Int
    var type: RedactionType

    static func < (a: Finding, b: Finding) -> Bool { a.start != b.start ? a.start < b.start : a.end > b.end }
}

extension UnsafeBufferPointer where Element == UInt8 {
    /// Whether the bytes at `i` spell `word`, ASCII case-insensitively when `caseInsensitive`.
    @inline(__always)
    func matches(_ word: StaticString, at i: Int, caseInsensitive: Bool = false) -> Bool {
        let n = word.utf8CodeUnitCount
        guard i >= 0, i + n <= count else { return false }
        let w = word.utf8Start
        for k in 0..<n {
            let b = self[i + k]
            if caseInsensitive ? ByteClass.lower(b) != ByteClass.lower(w[k]) : b != w[k] { return false }
        }
        return true
    }

    /// The index of the first `byte` at or after `i`, or `count` when there is none. Detectors anchor on a rare byte
    /// (`@`, `=`, `_`) and jump between its occurrences with `memchr`, which reads many bytes per instruction,
    /// instead of testing every byte. (Also how ingest splits NDJSON lines and blocks find a string's end.)
    @inline(__always)
    package func next(_ byte: UInt8, from i: Int) -> Int {
        guard i < count, let base = baseAddress else { return count }
        guard let found = memchr(base + i, Int32(byte), count - i) else { return count }
        return base.distance(to: found.assumingMemoryBound(to: UInt8.self))
    }

    /// The index of the first ASCII digit at or after `i`, or `count`. Digits are the anchors of the number
    /// detectors, and most text has few of them.
    @inline(__always)
    func nextDigit(from i: Int) -> Int { next(inRange: 0x30, 0x39, from: i) }

    /// The index of the first upper-case ASCII letter at or after `i`, or `count`.
    @inline(__always)
    func nextUpper(from i: Int) -> Int { next(inRange: 0x41, 0x5A, from: i) }

    /// The index of the first ASCII byte in `low...high` at or after `i`, or `count`; eight bytes at a time.
    @inline(__always)
    private func next(inRange low: UInt8, _ high: UInt8, from i: Int) -> Int {
        guard let base = baseAddress else { return count }
        var i = i
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        while i &+ 8 <= count {
            let word = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
            // Per byte (high bits cleared first, so nothing carries into the next byte): at least `low`, above
            // `high`? Bytes that were not ASCII are then dropped.
            let seven = word & ~highs
            let atLeastLow = seven &+ ones &* UInt64(0x80 - low)
            let aboveHigh = seven &+ ones &* UInt64(0x7F - high)
            let found = atLeastLow & ~aboveHigh & ~word & highs
            if found != 0 { return i &+ found.trailingZeroBitCount / 8 }
            i &+= 8
        }
        while i < count, self[i] &- low > high &- low { i &+= 1 }
        return i
    }

    /// The index of the first of two bytes at or after `i`, or `count`.
    @inline(__always)
    func next(_ a: UInt8, or b: UInt8, from i: Int) -> Int {
        Swift.min(next(a, from: i), next(b, from: i))
    }

    /// The byte before `i`, or 0 at the start.
    @inline(__always) func before(_ i: Int) -> UInt8 { i > 0 ? self[i - 1] : 0 }
    /// The byte at `i`, or 0 past the end.
    @inline(__always) func at(_ i: Int) -> UInt8 { i < count ? self[i] : 0 }
}
