extension OutputBuffer {
    /// Appends an integer in decimal, without going through `String`.
    @inline(__always)
    package mutating func appendDecimal(_ value: Int64) {
        if value < 0 {
            append(UInt8(ascii: "-"))
            appendDecimal(UInt64(bitPattern: 0 &- value))  // magnitude, also right for Int64.min
        } else {
            appendDecimal(UInt64(value))
        }
    }

    @inline(__always)
    package mutating func appendDecimal(_ value: UInt64) {
        reserve(20)
        var v = value
        var digits = 0
        var probe = v
        repeat {
            digits += 1
            probe /= 10
        } while probe != 0
        var i = count + digits - 1
        repeat {
            base[i] = UInt8(truncatingIfNeeded: v % 10) &+ UInt8(ascii: "0")
            v /= 10
            i -= 1
        } while v != 0
        count += digits
    }

    /// Appends `value` zero-padded to `width` digits (timestamps).
    @inline(__always)
    mutating func appendPadded(_ value: Int, width: Int) {
        reserve(width)
        var v = value
        var i = count + width - 1
        while i >= count {
            base[i] = UInt8(truncatingIfNeeded: v % 10) &+ UInt8(ascii: "0")
            v /= 10
            i -= 1
        }
        count += width
    }

    /// Appends a JSON number; NaN and ±infinity, which JSON cannot express, are written as the strings
    /// `"NaN"`, `"Infinity"` and `"-Infinity"`.
    @inline(__always)
    package mutating func appendJSONNumber(_ value: Double) {
        guard value.isFinite else {
            if value.isNaN {
                append("\"NaN\"")
            } else {
                append(value < 0 ? "\"-Infinity\"" : "\"Infinity\"")
            }
            return
        }
        if value == value.rounded(.towardZero), abs(value) < 1e15 {
            // Whole numbers print as integers: `200`, not `200.0`.
            appendDecimal(Int64(value))
            return
        }
        // Up to three decimals (durations in ms, sizes, most prices): exact and shortest, without a String. `k / 1000`
        // is correctly rounded, so equality means `v` is the double nearest to the decimal k/1000; below 1e12 two
        // decimals with at most three fractional digits can never share a double, so no shorter form exists.
        let scaled = (value * 1000).rounded()
        if abs(scaled) < 1e15, scaled / 1000 == value {
            var k = Int64(scaled)
            if k < 0 {
                append(UInt8(ascii: "-"))
                k = -k
            }
            appendDecimal(UInt64(k / 1000))
            var fraction = Int(k % 1000)
            if fraction != 0 {
                append(UInt8(ascii: "."))
                var width = 3
                while fraction % 10 == 0 {
                    fraction /= 10
                    width -= 1
                }
                appendPadded(fraction, width: width)
            }
            return
        }
        // Swift prints the shortest representation that round-trips ("12.5", "1e-07", "1.5e+20"), all valid JSON.
        // It is a small string (≤ 15 bytes) for almost every value, so it does not allocate.
        appendRaw(value.description)
    }
}
