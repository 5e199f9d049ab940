/// A W3C Trace Context `traceparent` header (https://www.w3.org/TR/trace-context/#traceparent-header):
/// `00-<trace-id: 32 hex>-<parent-id: 16 hex>-<trace-flags: 2 hex>`.
///
/// Parsing follows the specification: lower-case hex only, neither id all zeros, version `ff` invalid, and a
/// future version accepted when its first 55 characters have version 00's shape (and a `-` follows them). A
/// header that fails any check is ignored as a whole: the receiver starts a new trace.
package struct TraceParent: Sendable, Hashable {
    /// 32 lower-case hex digits.
    package let traceID: String
    /// The span this header describes, 16 lower-case hex digits: the caller's span when received, ours when sent.
    package let spanID: String
    /// The trace flags byte; bit 0 is `sampled`.
    package let flags: UInt8

    /// Parses a received `traceparent` value; `nil` when it is malformed.
    package init?(header: some StringProtocol) {
        let bytes = Array(header.utf8)
        guard bytes.count >= 55 else { return nil }
        guard let version = Self.hexByte(bytes[0], bytes[1]), version != 0xFF else { return nil }
        if version == 0 {
            guard bytes.count == 55 else { return nil }
        } else if bytes.count > 55, bytes[55] != UInt8(ascii: "-") {
            return nil
        }
        guard bytes[2] == UInt8(ascii: "-"), bytes[35] == UInt8(ascii: "-"), bytes[52] == UInt8(ascii: "-"),
            let flags = Self.hexByte(bytes[53], bytes[54]),
            let traceID = Self.lowerHex(bytes[3..<35]), let spanID = Self.lowerHex(bytes[36..<52])
        else { return nil }
        self.traceID = traceID
        self.spanID = spanID
        self.flags = flags
    }

    package init(traceID: String, spanID: String, flags: UInt8) {
        self.traceID = traceID
        self.spanID = spanID
        self.flags = flags
    }

    /// A new trace, with a new span, marked sampled (its events are being recorded).
    package static func newTrace() -> TraceParent {
        // Two independent halves: together never all zeros since neither is.
        TraceParent(traceID: CorrelationRandom.hex16() + CorrelationRandom.hex16(), spanID: CorrelationRandom.hex16(), flags: 0x01)
    }

    /// The same trace with a new span of ours under this one: what a server sends on and answers with.
    package func child() -> TraceParent {
        TraceParent(traceID: traceID, spanID: CorrelationRandom.hex16(), flags: flags)
    }

    /// The header value, version 00.
    package var header: String {
        var traceID = traceID
        var spanID = spanID
        return traceID.withUTF8 { trace in
            spanID.withUTF8 { span in
                String(unsafeUninitializedCapacity: 3 + trace.count + 1 + span.count + 3) { out in
                    var i = 0
                    func put(_ byte: UInt8) {
                        out[i] = byte
                        i += 1
                    }
                    put(UInt8(ascii: "0"))
                    put(UInt8(ascii: "0"))
                    put(UInt8(ascii: "-"))
                    for byte in trace { put(byte) }
                    put(UInt8(ascii: "-"))
                    for byte in span { put(byte) }
                    put(UInt8(ascii: "-"))
                    let digits: StaticString = "0123456789abcdef"
                    digits.withUTF8Buffer { digits in
                        put(digits[Int(flags >> 4)])
                        put(digits[Int(flags & 0xF)])
                    }
                    return i
                }
            }
        }
    }

    private static func hexDigit(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): b - UInt8(ascii: "a") + 10
        default: nil
        }
    }

    private static func hexByte(_ high: UInt8, _ low: UInt8) -> UInt8? {
        guard let h = hexDigit(high), let l = hexDigit(low) else { return nil }
        return h << 4 | l
    }

    /// The bytes as a string when all are lower-case hex and not all are `0`.
    private static func lowerHex(_ bytes: ArraySlice<UInt8>) -> String? {
        guard bytes.allSatisfy({ hexDigit($0) != nil }), bytes.contains(where: { $0 != UInt8(ascii: "0") }) else {
            return nil
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
