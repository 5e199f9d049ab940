/// Decides from a key's name alone whether its value must go: secrets lose their value, bodies are replaced by
/// their size and a hash.
///
/// Names are compared after normalising case and style — `Authorization`, `X-Api-Key`, `x_api_key`, `apiKey` and
/// `API KEY` all become `xapikey`/`apikey` — and match when they *end* with a listed name, so `client_secret` and
/// `AWS_SECRET_ACCESS_KEY` are secrets while `secret_rotation_days`, `password_changed_at`, `token_type` and
/// `prompt_tokens` are not. Connection strings and DSNs are not secrets by name: the value detectors remove the
/// password in them and keep the host and port an operator needs.
///
/// A class: it is consulted for every free-form key and shared by reference, never copied.
public final class KeyRules: Sendable {
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

    /// Every secret and body name, read from the end of a key.
    private let trie: KeySuffixTrie
    /// Names kept even though they end like a secret or body name; they match only whole.
    private let exceptions: [[UInt8]]

    public init(
        secretSuffixes: [String] = KeyRules.defaultSecretSuffixes,
        bodySuffixes: [String] = KeyRules.defaultBodySuffixes,
        exceptions: [String] = KeyRules.defaultExceptions
    ) {
        // Schema fields are typed and documented (`tokens_prompt`, `session_id`): never secrets or bodies by name.
        self.trie = KeySuffixTrie(
            secret: secretSuffixes.map { Self.normalise($0) }, body: bodySuffixes.map { Self.normalise($0) })
        self.exceptions = (exceptions + FieldCatalogue.fields.map(\.name)).map { Self.normalise($0) }
    }

    /// Lower-case letters and digits only: `X-Api-Key` → `xapikey`.
    public static func normalise(_ key: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(key.utf8.count)
        for b in key.utf8 where ByteClass.isAlnum(b) { out.append(ByteClass.lower(b)) }
        return out
    }

    /// The verdict for `key`. It runs for every free-form key of every event, so it reads the key once, backwards,
    /// without normalising it into a copy, and most keys are decided within their last two or three bytes.
    public func verdict(for key: String) -> Verdict {
        if let verdict = key.utf8.withContiguousStorageIfAvailable({ verdict(utf8: $0) }) { return verdict }
        var key = key
        return key.withUTF8 { verdict(utf8: $0) }
    }

    /// The verdict for a key given as UTF-8 bytes.
    @inline(__always)
    public func verdict(utf8 key: UnsafeBufferPointer<UInt8>) -> Verdict {
        // The last two letters or digits rule out most keys at once, without a call.
        var last = key.count - 1
        while last >= 0, !ByteClass.isAlnum(key[last]) { last -= 1 }
        var previous = last - 1
        while previous >= 0, !ByteClass.isAlnum(key[previous]) { previous -= 1 }
        if previous >= 0, !trie.mayEnd(with: ByteClass.lower(key[previous]), ByteClass.lower(key[last])) { return .keep }
        return walk(key)
    }

    /// The verdict from the trie: for the few keys whose last two bytes end some name.
    @inline(never)
    private func walk(_ key: UnsafeBufferPointer<UInt8>) -> Verdict {
        var node = KeySuffixTrie.root
        var secret = false
        var body = false
        var i = key.count
        while i > 0 {
            i -= 1
            let b = key[i]
            guard ByteClass.isAlnum(b) else { continue }
            guard let next = trie.child(of: node, ByteClass.lower(b)) else { break }
            node = next
            let flags = trie.flags(of: node)
            if flags.contains(.secret) { secret = true }
            // A body name matches whole (`body`), or after a word break (`request_body`, `chatMessages`) — not
            // inside a word (`somebody`). A body name that also ends a secret name wins over it.
            if flags.contains(.body), i == 0 || Self.isWordBreak(key[i - 1], key[i]) { body = true }
        }
        guard secret || body else { return .keep }
        return confirmed(body ? .body : .secret, key: key)
    }

    /// The verdict once a name matched: the exceptions, which match only whole, are consulted only then.
    /// Compared in place, without building the normalised key.
    private func confirmed(_ verdict: Verdict, key: UnsafeBufferPointer<UInt8>) -> Verdict {
        var length = 0
        for b in key where ByteClass.isAlnum(b) { length += 1 }
        for exception in exceptions where exception.count == length && Self.normalises(key, to: exception) {
            return .keep
        }
        return verdict
    }

    private static func normalises(_ key: UnsafeBufferPointer<UInt8>, to name: [UInt8]) -> Bool {
        var k = 0
        for b in key where ByteClass.isAlnum(b) {
            if ByteClass.lower(b) != name[k] { return false }
            k += 1
        }
        return true
    }

    /// Whether a word starts at `current` after `previous`: a separator, a lower→upper case change, or a change
    /// between letters and digits.
    @inline(__always)
    static func isWordBreak(_ previous: UInt8, _ current: UInt8) -> Bool {
        !ByteClass.isAlnum(previous) || (ByteClass.isLower(previous) && ByteClass.isUpper(current))
            || (ByteClass.isDigit(previous) != ByteClass.isDigit(current))
    }
}
