import Keel
import NIOCore
import W1Workload

/// W2's request bodies: W1 events as NDJSON, event `n` timestamped `base + n` µs. Each line is a copy of one line's
/// bytes with its varying parts — time, event id, request id — written in place, the very bytes
/// `W1.canonicalLine` makes (``checked()`` compares them), for a small part of the CPU that building each line as
/// a `String` takes: the loader shares the machine's two cores with the server it measures, so what it spends is
/// taken from the server.
struct W2Bodies {
    let base: Int64
    private let template: [UInt8]
    private let timeAt: Int
    private let eventIDAt: Int
    private let requestIDAt: Int

    init(tenant: String, base: Int64) {
        self.base = base
        let template = Array((W1.canonicalLine(0, tenant: tenant, at: base) + "\n").utf8)
        self.template = template
        func valueStart(_ key: String) -> Int {
            let pattern = Array("\"\(key)\":\"".utf8)
            let at = (0...(template.count - pattern.count)).first { template[$0..<($0 + pattern.count)].elementsEqual(pattern) }
            return at! + pattern.count
        }
        timeAt = valueStart("timestamp")
        eventIDAt = valueStart("event_id")
        requestIDAt = valueStart("request_id")
    }

    /// Events `first..<first+count`.
    func body(first: Int, count: Int) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: template.count * count)
        var line = template
        var second: Int64 = .min
        line.withUnsafeMutableBufferPointer { line in
            for n in first..<(first + count) {
                let micros = base + Int64(n)
                let (seconds, fraction) = micros.quotientAndRemainder(dividingBy: 1_000_000)
                if seconds != second {
                    // `YYYY-MM-DDTHH:MM:SS` changes once a second; `.ffffffZ` follows.
                    second = seconds
                    for (offset, byte) in Timestamp(microsecondsSinceEpoch: seconds * 1_000_000).description.utf8.prefix(19).enumerated() {
                        line[timeAt + offset] = byte
                    }
                }
                Self.decimal(UInt64(fraction), digits: 6, into: line, at: timeAt + 20)
                let millis = UInt64(micros / 1000)
                Self.hex(millis >> 16, digits: 8, into: line, at: eventIDAt)
                Self.hex(millis & 0xFFFF, digits: 4, into: line, at: eventIDAt + 9)
                Self.hex(UInt64(n), digits: 12, into: line, at: eventIDAt + 24)
                Self.decimal(UInt64(n), digits: 26, into: line, at: requestIDAt)
                buffer.writeBytes(UnsafeRawBufferPointer(line))
            }
        }
        return buffer
    }

    /// Whether this maker's bodies are byte for byte the ones `W1.canonicalLine` builds (across a second's turn).
    func checked(tenant: String) -> Bool {
        for first in [0, 999_000, 123_456_789] {
            var text = ""
            for n in first..<(first + 2_000) { text += W1.canonicalLine(n, tenant: tenant, at: base + Int64(n)) + "\n" }
            guard body(first: first, count: 2_000) == ByteBuffer(string: text) else { return false }
        }
        return true
    }

    private static func decimal(_ value: UInt64, digits: Int, into line: UnsafeMutableBufferPointer<UInt8>, at start: Int) {
        var value = value
        for index in stride(from: start + digits - 1, through: start, by: -1) {
            line[index] = UInt8(ascii: "0") + UInt8(value % 10)
            value /= 10
        }
    }

    private static func hex(_ value: UInt64, digits: Int, into line: UnsafeMutableBufferPointer<UInt8>, at start: Int) {
        var value = value
        for index in stride(from: start + digits - 1, through: start, by: -1) {
            let nibble = UInt8(value & 0xF)
            line[index] = nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
            value >>= 4
        }
    }
}
