/// JSON string escaping that also keeps logs safe to read in a terminal (CWE-117).
///
/// Every C0 control character, DEL, the C1 controls U+0080–U+009F (U+009B is a one-byte CSI on some terminals)
/// and the separators U+2028/U+2029 are written as `\uXXXX` escapes (or `\n`, `\t` …). A message with newlines
/// or ANSI escape sequences therefore can never split a line or reach a terminal as a control code.
enum JSONEscaping {
    /// 0: copy as is. 1: ASCII that needs an escape. 2: a lead byte that may start C1/U+2028/U+2029 (check).
    /// 3: a byte ≥ 0x80 that needs no check in valid UTF-8.
    static let table: [UInt8] = (0..<256).map { b in
        switch b {
        case 0..<0x20, 0x22, 0x5C, 0x7F: 1
        case 0xC2, 0xE2: 2
        case 0x80...: 3
        default: 0
        }
    }

    static let hex: StaticString = "0123456789abcdef"
}

extension OutputBuffer {
    /// Appends `text` as a JSON string literal, quotes included.
    ///
    /// - Parameter limit: the most UTF-8 bytes of content to keep; a longer string is cut on a character
    ///   boundary and ends in `…`. Returns `true` when it was cut.
    @discardableResult
    @inline(__always)
    package mutating func appendJSONString(_ text: String, limit: Int = .max) -> Bool {
        if let done = text.utf8.withContiguousStorageIfAvailable({ appendJSONString(utf8: $0, limit: limit) }) {
            return done
        }
        var copy = text
        copy.makeContiguousUTF8()
        return copy.utf8.withContiguousStorageIfAvailable { appendJSONString(utf8: $0, limit: limit) } ?? false
    }

    /// Appends bytes of unknown provenance (a pipe, a file) as a JSON string: invalid UTF-8 is replaced by U+FFFD.
    @discardableResult
    package mutating func appendJSONString(unvalidated bytes: UnsafeRawBufferPointer, limit: Int = .max) -> Bool {
        appendJSONString(String(decoding: bytes, as: UTF8.self), limit: limit)
    }

    /// Appends UTF-8 bytes that Swift already validated (a `String`'s contents) as a JSON string literal.
    @discardableResult
    package mutating func appendJSONString(utf8: UnsafeBufferPointer<UInt8>, limit: Int = .max) -> Bool {
        var end = utf8.count
        var cut = false
        if end > limit {
            end = max(0, limit)
            // Step back to a character boundary: never split a UTF-8 sequence.
            while end > 0 && (utf8[end] & 0xC0) == 0x80 { end -= 1 }
            cut = true
        }
        append(UInt8(ascii: "\""))
        appendEscapedValidUTF8(UnsafeBufferPointer(rebasing: utf8[0..<end]))
        if cut { append("…") }
        append(UInt8(ascii: "\""))
        return cut
    }

    @inline(__always)
    mutating func appendEscapedValidUTF8(_ utf8: UnsafeBufferPointer<UInt8>) {
        // Reserve for the common case (nothing to escape) in one step.
        reserve(utf8.count)
        JSONEscaping.table.withUnsafeBufferPointer { table in
            var runStart = 0
            var i = 0
            let n = utf8.count
            let base = UnsafeRawPointer(utf8.baseAddress.unsafelyUnwrapped)
            while i < n {
                // Skip 8 plain bytes at a time: printable ASCII other than `"` and `\`.
                while i + 8 <= n, Self.isPlainASCII(base.loadUnaligned(fromByteOffset: i, as: UInt64.self)) { i += 8 }
                if i >= n { break }
                let b = utf8[i]
                let kind = table[Int(b)]
                if kind == 0 || kind == 3 {
                    i += 1
                    continue
                }
                if kind == 2 {
                    // C2 80–9F: C1 control. E2 80 A8/A9: U+2028/U+2029.
                    if b == 0xC2, i + 1 < n, utf8[i + 1] < 0xA0 {
                        flushRun(utf8, runStart, i)
                        appendUnicodeEscape(UInt16(utf8[i + 1]))
                        i += 2
                        runStart = i
                    } else if b == 0xE2, i + 2 < n, utf8[i + 1] == 0x80, utf8[i + 2] == 0xA8 || utf8[i + 2] == 0xA9 {
                        flushRun(utf8, runStart, i)
                        appendUnicodeEscape(utf8[i + 2] == 0xA8 ? 0x2028 : 0x2029)
                        i += 3
                        runStart = i
                    } else {
                        i += 1
                    }
                    continue
                }
                flushRun(utf8, runStart, i)
                appendASCIIEscape(b)
                i += 1
                runStart = i
            }
            flushRun(utf8, runStart, n)
        }
    }

    /// Whether all eight bytes of `w` are in 0x20…0x7E and none is `"` or `\` (SWAR: no branch per byte).
    @inline(__always)
    static func isPlainASCII(_ w: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let high: UInt64 = 0x8080_8080_8080_8080
        func hasZero(_ x: UInt64) -> UInt64 { (x &- ones) & ~x & high }
        let control = (w &- ones &* 0x20) & ~w & high  // some byte < 0x20
        let delOrHigh = (w &+ ones &* 0x01) & high | w & high  // some byte ≥ 0x7F
        let quote = hasZero(w ^ (ones &* 0x22))
        let backslash = hasZero(w ^ (ones &* 0x5C))
        return (control | delOrHigh | quote | backslash) == 0
    }

    @inline(__always)
    private mutating func flushRun(_ utf8: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) {
        if end > start { append(UnsafeBufferPointer(rebasing: utf8[start..<end])) }
    }

    @inline(__always)
    private mutating func appendASCIIEscape(_ b: UInt8) {
        switch b {
        case 0x22: append(UInt8(ascii: "\\"), UInt8(ascii: "\""))
        case 0x5C: append(UInt8(ascii: "\\"), UInt8(ascii: "\\"))
        case 0x0A: append(UInt8(ascii: "\\"), UInt8(ascii: "n"))
        case 0x0D: append(UInt8(ascii: "\\"), UInt8(ascii: "r"))
        case 0x09: append(UInt8(ascii: "\\"), UInt8(ascii: "t"))
        case 0x08: append(UInt8(ascii: "\\"), UInt8(ascii: "b"))
        case 0x0C: append(UInt8(ascii: "\\"), UInt8(ascii: "f"))
        default: appendUnicodeEscape(UInt16(b))
        }
    }

    @inline(__always)
    mutating func appendUnicodeEscape(_ scalar: UInt16) {
        reserve(6)
        JSONEscaping.hex.withUTF8Buffer { hex in
            base[count] = UInt8(ascii: "\\")
            base[count + 1] = UInt8(ascii: "u")
            base[count + 2] = hex[Int(scalar >> 12) & 0xF]
            base[count + 3] = hex[Int(scalar >> 8) & 0xF]
            base[count + 4] = hex[Int(scalar >> 4) & 0xF]
            base[count + 5] = hex[Int(scalar) & 0xF]
        }
        count += 6
    }
}
