import Crypto

/// Keyed pseudonyms: the same value always becomes the same token (`email:3f9a1c2b`), so one user can be followed
/// across lines without revealing who it is. HMAC-SHA-256 under a key the operator keeps; without the key the token
/// cannot be reversed or recomputed.
public struct Pseudonymizer: Sendable {
    private let key: SymmetricKey

    /// - Parameter key: at least 16 bytes of secret key material.
    public init(key: [UInt8]) throws(RedactionPolicyError) {
        guard key.count >= 16 else { throw RedactionPolicyError("the pseudonym key must be at least 16 bytes, got \(key.count)") }
        self.key = SymmetricKey(data: key)
    }

    /// `type:xxxxxxxx` — the type in lower case and the first 8 hex digits of the HMAC.
    public func token(for value: UnsafeBufferPointer<UInt8>, type: RedactionType) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: value, using: key)
        return type.name.lowercased() + ":" + Hex.lowercase(mac.prefix(4))
    }


    /// The types that get a pseudonym instead of a mask: personal data. Credentials never do.
    public static let pseudonymisedTypes: Set<RedactionType> = [
        .email, .phone, .ipv4, .ipv6, .usSSN, .iban, .creditCard, .sensitive,
    ]
}

/// What replaces a body: `{"redacted":"BODY","bytes":N,"sha256":"8 hex"}` — the one definition of that format,
/// used on the log path and by the JSON redactor alike.
enum BodySummary {
    static func write(of text: String, to out: inout OutputBuffer) {
        out.append("{\"redacted\":\"BODY\",\"bytes\":")
        out.appendDecimal(Int64(text.utf8.count))
        out.append(",\"sha256\":\"")
        out.appendRaw(BodyDigest.short(text))
        out.append("\"}")
    }
}

/// A short SHA-256 of a body, so that identical bodies can be recognised without being shown.
enum BodyDigest {
    static func short(_ text: String) -> String {
        var text = text
        return text.withUTF8 { Hex.lowercase(SHA256.hash(data: $0).prefix(4)) }
    }
}
