package import Crypto

/// The format of a hash-chained audit record: the one definition the audit sink writes and `keel verify` checks.
///
/// A record is an event line with three last members: `…,"seq":N,"prev_hash":"P","hash":"H"}`. `H` is the SHA-256,
/// in hex, of `P` followed by the record's bytes with `,"hash":"H"` removed — so `H` covers every byte of the
/// record, its position and its predecessor. The first record's `prev_hash` is 64 zeros. A checkpoint is a record
/// of event `keel.checkpoint` whose `context.checkpoint` holds the `seq` and `hash` it vouches for and an HMAC of
/// them under the operator's key, so that a chain rebuilt by someone without the key is caught.
package enum AuditChain {
    package static let genesis = [UInt8](repeating: UInt8(ascii: "0"), count: 64)
    /// `,"hash":"` + 64 hex digits + `"}`.
    static let hashSuffixLength = 9 + 64 + 2
    /// The most bytes chaining adds to an event: `,"seq":` and 19 digits, `,"prev_hash":"` and 64, the hash suffix.
    static let recordOverhead = 7 + 19 + 14 + 64 + 1 + hashSuffixLength + 1

    /// Completes `event` (an encoded line, with or without its newline) into the record that follows `previous`:
    /// appends `seq`, `prev_hash` and `hash` and a newline to `out`, and returns the new hash.
    package static func append(
        event: UnsafeRawBufferPointer, seq: Int64, previous: [UInt8], to out: inout OutputBuffer
    ) -> [UInt8] {
        var end = event.count
        while end > 0, event[end - 1] == UInt8(ascii: "\n") || event[end - 1] == UInt8(ascii: " ") { end -= 1 }
        // Drop the closing brace; an empty object gets no leading comma.
        let body = UnsafeRawBufferPointer(rebasing: event[0..<max(0, end - 1)])
        let start = out.count
        out.append(body)
        if body.count > 1 { out.append(UInt8(ascii: ",")) }
        out.append("\"seq\":")
        out.appendDecimal(seq)
        out.append(",\"prev_hash\":\"")
        previous.withUnsafeBufferPointer { out.append($0) }
        out.append("\"}")
        let hash = out.withUnsafeBytes { digest(previous: previous, body: UnsafeRawBufferPointer(rebasing: $0[start...])) }
        out.truncate(to: out.count - 1)
        out.append(",\"hash\":\"")
        hash.withUnsafeBufferPointer { out.append($0) }
        out.append("\"}\n")
        return hash
    }

    /// The hash a record must carry: SHA-256 of `previous` then `body` (the record without its `hash` member), hex.
    package static func digest(previous: [UInt8], body: UnsafeRawBufferPointer) -> [UInt8] {
        var hasher = SHA256()
        previous.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        hasher.update(bufferPointer: body)
        return hex(hasher.finalize())
    }

    /// Splits a record line (without its newline) into the bytes its hash covers and the hash it carries; `nil` when
    /// it does not end in a `hash` member.
    package static func split(_ line: UnsafeRawBufferPointer) -> (body: [UInt8], hash: [UInt8])? {
        guard line.count > hashSuffixLength else { return nil }
        let suffix = line.count - hashSuffixLength
        let prefix = Array(#","hash":""#.utf8)
        guard line[suffix..<(suffix + 9)].elementsEqual(prefix), line[line.count - 2] == UInt8(ascii: "\""),
            line[line.count - 1] == UInt8(ascii: "}")
        else { return nil }
        let hash = Array(line[(suffix + 9)..<(line.count - 2)])
        guard hash.allSatisfy({ ByteClass.isHex($0) && !ByteClass.isUpper($0) }) else { return nil }
        return (Array(line[0..<suffix]) + [UInt8(ascii: "}")], hash)
    }

    /// The HMAC a checkpoint carries for the chain through record `seq` with hash `hash`.
    package static func checkpointMAC(key: [UInt8], seq: Int64, hash: [UInt8], sealed: Bool) -> String {
        let message = "keel-audit-checkpoint|\(seq)|\(String(decoding: hash, as: UTF8.self))|\(sealed ? 1 : 0)"
        let mac = HMAC<SHA256>.authenticationCode(for: Array(message.utf8), using: SymmetricKey(data: key))
        return String(decoding: hex(mac), as: UTF8.self)
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xF)])
        }
        return out
    }
}
