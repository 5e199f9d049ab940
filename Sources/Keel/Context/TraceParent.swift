/// A W3C Trace Context `traceparent` header (https://www.w3.org/TR/trace-context/#traceparent-header):
/// `00-<trace-id: 32 hex>-<parent-id: 16 hex>-<trace-flags: 2 hex>`.
///
/// Parsing follows the specification: lower-case hex only, neither id all zeros, version `ff` invalid, and a
/// future version accepted when its first 55 characters have version 00's shape (and a `-` follows them). A
/// header that fails any check is ignored as a whole: the receiver starts a new trace.
public struct TraceParent: Sendable, Hashable {
    /// 32 lower-case hex digits.
    public let traceID: String
    /// The span this header describes, 16 lower-case hex digits: the caller's span when received, ours when sent.
    public let spanID: String
    /// The trace flags byte; bit 0 is `sampled`.
    public let flags: UInt8

    /// Parses a received `traceparent` value; `nil` when it is malformed.
    public init?(header: some StringProtocol) {
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

    public init(traceID: String, spanID: String, flags: UInt8) {
        self.traceID = traceID
        self.spanID = spanID
        self.flags = flags
    }

    /// A new trace, with a new span, marked sampled (its events are being recorded).
    public static func newTrace() -> TraceParent {
        TraceParent(traceID: randomHex(bytes: 16), spanID: randomHex(bytes: 8), flags: 0x01)
    }

    /// The same trace with a new span of ours under this one: what a server sends on and answers with.
    public func child() -> TraceParent {
        TraceParent(traceID: traceID, spanID: Self.randomHex(bytes: 8), flags: flags)
    }

    /// The header value, version 00.
    public var header: String {
        let hex: [Character] = Array("0123456789abcdef")
        return "00-\(traceID)-\(spanID)-" + String([hex[Int(flags >> 4)], hex[Int(flags & 0xF)]])
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

    private static func randomHex(bytes count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        while true {
            var text = ""
            for _ in 0..<count {
                let byte = UInt8.random(in: 0...255, using: &generator)
                let hex = String(byte, radix: 16)
                text += byte < 16 ? "0" + hex : hex
            }
            // All zeros is invalid; with 64 or 128 random bits this loops again practically never.
            if text.contains(where: { $0 != "0" }) { return text }
        }
    }
}
