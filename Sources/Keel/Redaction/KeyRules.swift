/// Decides from a key's name alone whether its value must go: secrets lose their value, bodies are replaced by
/// their size and a hash.
///
/// Names are compared after normalising case and style — `Authorization`, `X-Api-Key`, `x_api_key`, `apiKey` and
/// `API KEY` all become `xapikey`/`apikey` — and match when they *end* with a listed name, so `client_secret` and
/// `AWS_SECRET_ACCESS_KEY` are secrets while `secret_rotation_days`, `password_changed_at`, `token_type` and
/// `prompt_tokens` are not. Connection strings and DSNs are not secrets by name: the value detectors remove the
/// password in them and keep the host and port an operator needs.
public struct KeyRules: Sendable {
    public enum Verdict: Sendable, Equatable {
        case keep
        case secret
        case body
    }

    /// Normalised names whose values are secrets. A key matches when its normalised form ends with one of these.
    public static let defaultSecretSuffixes: [String] = [
        "password", "passwd", "pwd", "passphrase", "secret", "token", "apikey", "accesskey", "secretkey",
        "privatekey", "sessionkey", "signingkey", "encryptionkey", "masterkey", "credentials", "credential",
        "authorization", "cookie", "setcookie", "sessionid", "otp", "pin", "cvv", "cvc", "mfacode", "recoverycode",
    ]

    /// Normalised names whose values are payloads: replaced by their length and a short hash, never kept.
    public static let defaultBodySuffixes: [String] = [
        "body", "payload", "requestbody", "responsebody", "raw", "rawbody", "prompt", "completion", "messages",
        "content", "stdout", "stderr", "stdoutlines", "stderrlines", "transcript",
    ]

    /// Normalised names that are never treated as secrets or bodies even though they end like one.
    public static let defaultExceptions: [String] = [
        "tokentype", "tokencount", "authtype", "authmethod", "authprovider", "contenttype", "contentlength",
        "contentencoding", "bodysize", "bodybytes", "payloadsize", "payloadbytes", "payloadtype", "cookieconsent",
    ]

    private let secretSuffixes: [[UInt8]]
    private let bodySuffixes: [[UInt8]]
    private let exceptions: [[UInt8]]

    public init(
        secretSuffixes: [String] = KeyRules.defaultSecretSuffixes,
        bodySuffixes: [String] = KeyRules.defaultBodySuffixes,
        exceptions: [String] = KeyRules.defaultExceptions
    ) {
        self.secretSuffixes = secretSuffixes.map { Self.normalise($0) }
        self.bodySuffixes = bodySuffixes.map { Self.normalise($0) }
        // Schema fields are typed and documented (`tokens_prompt`, `session_id`): never secrets or bodies by name.
        self.exceptions = (exceptions + FieldCatalogue.fields.map(\.name)).map { Self.normalise($0) }
    }

    /// Lower-case letters and digits only: `X-Api-Key` → `xapikey`.
    public static func normalise(_ key: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(key.utf8.count)
        for b in key.utf8 where ByteClass.isAlnum(b) { out.append(ByteClass.lower(b)) }
        return out
    }

    /// The verdict for `key`. Allocation-free for keys up to 128 bytes (normalised on the stack): it runs for every
    /// free-form metadata key of every event.
    public func verdict(for key: String) -> Verdict {
        var key = key
        return key.withUTF8 { raw in
            guard raw.count <= 128 else { return verdict(normalised: Self.normalise(String(decoding: raw, as: UTF8.self)), key: raw) }
            return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 128) { buffer in
                var n = 0
                for b in raw where ByteClass.isAlnum(b) {
                    buffer[n] = ByteClass.lower(b)
                    n += 1
                }
                return verdict(normalised: UnsafeBufferPointer(rebasing: buffer[0..<n]), key: raw)
            }
        }
    }

    private func verdict(normalised name: some Collection<UInt8>, key: UnsafeBufferPointer<UInt8>) -> Verdict {
        if name.isEmpty || exceptions.contains(where: { $0.elementsEqual(name) }) { return .keep }
        if bodySuffixes.contains(where: { $0.elementsEqual(name) }) { return .body }
        for suffix in secretSuffixes where name.count >= suffix.count {
            if name.suffix(suffix.count).elementsEqual(suffix) { return .secret }
        }
        for suffix in bodySuffixes where name.count > suffix.count {
            // `request_body`, `llm_prompt`, `chat_messages`; but not `somebody`: the suffix must follow a word break.
            if name.suffix(suffix.count).elementsEqual(suffix) && Self.hasWordBreak(key, beforeSuffixOfLength: suffix.count) {
                return .body
            }
        }
        return .keep
    }

    /// Whether `key` has a separator or a lower→upper case change right before its last `length` letters/digits.
    static func hasWordBreak(_ bytes: UnsafeBufferPointer<UInt8>, beforeSuffixOfLength length: Int) -> Bool {
        var last = bytes.count
        while last > 0, !ByteClass.isAlnum(bytes[last - 1]) { last -= 1 }
        var seen = 0
        var i = last - 1
        while i >= 0 {
            if ByteClass.isAlnum(bytes[i]) {
                seen += 1
                if seen == length {
                    guard i > 0 else { return false }
                    let prev = bytes[i - 1]
                    return !ByteClass.isAlnum(prev) || (ByteClass.isLower(prev) && ByteClass.isUpper(bytes[i]))
                        || (ByteClass.isDigit(prev) != ByteClass.isDigit(bytes[i]))
                }
            }
            i -= 1
        }
        return false
    }
}
