/// Lower-case hexadecimal text of bytes: pseudonyms, payload hashes, token hashes, trace ids from binary formats.
package enum Hex {
    /// Whether `text` is hexadecimal digits only, in either case (the empty text is).
    package static func isHexadecimal(_ text: String) -> Bool { text.utf8.allSatisfy(ByteClass.isHex) }

    package static func lowercase(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.underestimatedCount * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
