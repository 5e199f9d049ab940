import Synchronization

/// Random 64-bit values for trace, span, operation and call ids, without a system call per id.
///
/// `SystemRandomNumberGenerator` asks the kernel for every value (`getrandom`): a system call per id, on the path of
/// every request. Ids need to be unique and unpredictable enough not to collide, not secret:
/// here a process-wide counter, started at a value from the system generator, is advanced by one atomic add per id and
/// scrambled by SplitMix64's finaliser — a bijection, so no value repeats within a process, and processes start at
/// unrelated points.
enum CorrelationRandom {
    private static let state = Atomic<UInt64>(SystemRandomNumberGenerator().nextValue())

    static func next() -> UInt64 {
        var z = state.wrappingAdd(0x9E37_79B9_7F4A_7C15, ordering: .relaxed).newValue
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// 16 lower-case hex digits of a new random value, never all zeros.
    static func hex16() -> String {
        var value = next()
        while value == 0 { value = next() }
        return hex(value)
    }

    static func hex(_ value: UInt64) -> String {
        String(unsafeUninitializedCapacity: 16) { buffer in
            let digits: StaticString = "0123456789abcdef"
            digits.withUTF8Buffer { digits in
                for i in 0..<16 { buffer[i] = digits[Int((value >> UInt64(60 - 4 * i)) & 0xF)] }
            }
            return 16
        }
    }
}

extension SystemRandomNumberGenerator {
    fileprivate func nextValue() -> UInt64 {
        var generator = self
        return generator.next()
    }
}
