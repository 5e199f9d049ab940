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

    private let secretSuffixes: [[UInt8]]
    private let bodySuffixes: [[UInt8]]
    private let exceptions: [[UInt8]]
    /// Every secret and body name, grouped by their last byte, so that a key is compared only with the few names
    /// that end like it.
    private let table: SuffixTable

    public init(
        secretSuffixes: [String] = KeyRules.defaultSecretSuffixes,
        bodySuffixes: [String] = KeyRules.defaultBodySuffixes,
        exceptions: [String] = KeyRules.defaultExceptions
    ) {
        self.secretSuffixes = secretSuffixes.map { Self.normalise($0) }
        self.bodySuffixes = bodySuffixes.map { Self.normalise($0) }
        // Schema fields are typed and documented (`tokens_prompt`, `session_id`): never secrets or bodies by name.
        self.exceptions = (exceptions + FieldCatalogue.fields.map(\.name)).map { Self.normalise($0) }
        self.table = SuffixTable(secret: self.secretSuffixes, body: self.bodySuffixes)
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
            // Most keys end in a letter or digit no listed name ends with: decided without normalising.
            var last = raw.count - 1
            while last >= 0, !ByteClass.isAlnum(raw[last]) { last -= 1 }
            guard last >= 0, table.hasNames(endingWith: ByteClass.lower(raw[last])) else { return .keep }
            guard raw.count <= 128 else {
                return Self.normalise(String(decoding: raw, as: UTF8.self)).withUnsafeBufferPointer {
                    verdict(normalised: $0, key: raw)
                }
            }
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

    private func verdict(normalised name: UnsafeBufferPointer<UInt8>, key: UnsafeBufferPointer<UInt8>) -> Verdict {
        guard let last = name.last else { return .keep }
        var verdict = Verdict.keep
        table.forEachEndingWith(last) { suffix, isBody in
            guard name.count >= suffix.count, Self.endsWith(name, suffix) else { return true }
            if isBody {
                // A body name matches whole (`body`), or after a word break (`request_body`, `chatMessages`) — not
                // inside a word (`somebody`).
                if name.count == suffix.count || Self.hasWordBreak(key, beforeSuffixOfLength: suffix.count) {
                    verdict = .body
                    return false
                }
                return true
            }
            // A body name that is also a secret ending wins only as a whole name; keep looking for a secret.
            if verdict == .keep { verdict = .secret }
            return true
        }
        guard verdict != .keep else { return .keep }
        for exception in exceptions where exception.count == name.count && Self.endsWith(name, exception[...]) { return .keep }
        return verdict
    }

    @inline(__always)
    private static func endsWith(_ name: UnsafeBufferPointer<UInt8>, _ suffix: some Collection<UInt8>) -> Bool {
        let offset = name.count - suffix.count
        guard offset >= 0 else { return false }
        var i = offset
        for b in suffix {
            if name[i] != b { return false }
            i += 1
        }
        return true
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

/// Secret and body names in one flat buffer, grouped by last byte.
struct SuffixTable: Sendable {
    private let bytes: [UInt8]
    /// (offset, length, isBody) per name, sorted by last byte.
    private let entries: [(offset: Int, length: Int, isBody: Bool)]
    /// `starts[b] ..< starts[b + 1]` are the entries ending in byte `b`.
    private let starts: [Int]

    init(secret: [[UInt8]], body: [[UInt8]]) {
        let all = (body.map { ($0, true) } + secret.map { ($0, false) }).filter { !$0.0.isEmpty }
            .sorted { ($0.0.last!, $0.1 ? 0 : 1) < ($1.0.last!, $1.1 ? 0 : 1) }
        var bytes: [UInt8] = []
        var entries: [(offset: Int, length: Int, isBody: Bool)] = []
        var starts = [Int](repeating: 0, count: 257)
        for (name, isBody) in all {
            entries.append((bytes.count, name.count, isBody))
            bytes += name
        }
        var index = 0
        for b in 0..<256 {
            starts[b] = index
            while index < all.count, Int(all[index].0.last!) == b { index += 1 }
        }
        starts[256] = index
        self.bytes = bytes
        self.entries = entries
        self.starts = starts
    }

    /// Whether any name ends in `last`.
    @inline(__always)
    func hasNames(endingWith last: UInt8) -> Bool { starts[Int(last)] < starts[Int(last) + 1] }

    /// Calls `body` with each name ending in `last` (body names first) until it returns `false`.
    @inline(__always)
    func forEachEndingWith(_ last: UInt8, _ body: (ArraySlice<UInt8>, Bool) -> Bool) {
        let from = starts[Int(last)]
        let to = starts[Int(last) + 1]
        guard from < to else { return }
        for entry in entries[from..<to] {
            if !body(bytes[entry.offset..<(entry.offset + entry.length)], entry.isBody) { return }
        }
    }
}
