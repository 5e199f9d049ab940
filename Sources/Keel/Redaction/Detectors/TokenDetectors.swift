/// Credentials recognised by their shape: JWTs (three base64url parts with a decodable JSON header), `Bearer` and
/// `Basic` credentials, vendor keys by their documented prefixes, PEM private key blocks, AWS access keys, and
/// `name=value` secrets written inline (`password=…`, `AWS_SECRET_ACCESS_KEY: …`).
enum TokenDetectors {
    // MARK: JWT

    static func scanJWTs(_ s: UnsafeBufferPointer<UInt8>, into findings: inout [Finding]) {
        var i = 0
        while i + 10 < s.count {
            // Anchored on the "J" of "eyJ".
            let anchor = s.next(0x4A, from: i + 2)
            guard anchor + 8 < s.count else { return }
            guard s[anchor - 1] == 0x79, s[anchor - 2] == 0x65, !ByteClass.isBase64URL(s.before(anchor - 2)) else {
                i = anchor - 1
                continue
            }
            i = anchor - 2
            var j = i
            var parts = 0
            var headerEnd = -1
            while parts < 3 {
                let partStart = j
                while j < s.count, ByteClass.isBase64URL(s[j]) { j += 1 }
                if j == partStart && parts < 2 { break }
                parts += 1
                if parts == 1 { headerEnd = j }
                guard parts < 3, j < s.count, s[j] == 0x2E else { break }
                j += 1
            }
            if parts >= 3 || (parts == 2 && j > headerEnd + 8), headerDecodes(s, i, headerEnd) {
                findings.append(Finding(start: i, end: j, type: .jwt))
                i = j
            } else {
                i += 3
            }
        }
    }

    /// Whether the base64url text in `s[start..<end]` decodes to a JSON object naming an algorithm.
    static func headerDecodes(_ s: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        guard let decoded = Base64URL.decode(UnsafeBufferPointer(rebasing: s[start..<end])), decoded.first == 0x7B else {
            return false
        }
        return decoded.withUnsafeBufferPointer { header in
            var i = header.next(0x22, from: 0)
            while i < header.count {
                if header.matches("\"alg\"", at: i) || header.matches("\"typ\"", at: i) { return true }
                i = header.next(0x22, from: i + 1)
            }
            return false
        }
    }

    // MARK: Bearer and Basic

    static func scanAuthorizationSchemes(_ s: UnsafeBufferPointer<UInt8>, into findings: inout [Finding]) {
        // Anchored on "b" and "B", each found with memchr.
        var nextLower = s.next(0x62, from: 0)
        var nextUpper = s.next(0x42, from: 0)
        var i = 0
        while true {
            if nextLower < i { nextLower = s.next(0x62, from: i) }
            if nextUpper < i { nextUpper = s.next(0x42, from: i) }
            i = min(nextLower, nextUpper)
            guard i + 7 < s.count else { return }
            guard (s[i + 1] | 0x20) == 0x65 || (s[i + 1] | 0x20) == 0x61 else {  // "be…" or "ba…"
                i += 1
                continue
            }
            let isBearer = s.matches("bearer ", at: i, caseInsensitive: true)
            let isBasic = !isBearer && s.matches("basic ", at: i, caseInsensitive: true)
            guard (isBearer || isBasic), !ByteClass.isWord(s.before(i)) else {
                i += 1
                continue
            }
            var start = i + (isBearer ? 7 : 6)
            while start < s.count, s[start] == 0x20 { start += 1 }
            var end = start
            while end < s.count, ByteClass.isTokenChar(s[end]) { end += 1 }
            if end - start >= 8 {
                findings.append(Finding(start: start, end: end, type: isBearer ? .bearerToken : .basicCredentials))
                i = end
            } else {
                i += 1
            }
        }
    }

    // MARK: Vendor keys

    struct Prefix {
        let text: StaticString
        let type: RedactionType
        let minimumBody: Int
        let caseInsensitive: Bool
    }

    static let prefixes: [Prefix] = [
        Prefix(text: "github_pat_", type: .githubToken, minimumBody: 20, caseInsensitive: false),
        Prefix(text: "ghp_", type: .githubToken, minimumBody: 30, caseInsensitive: false),
        Prefix(text: "gho_", type: .githubToken, minimumBody: 30, caseInsensitive: false),
        Prefix(text: "ghu_", type: .githubToken, minimumBody: 30, caseInsensitive: false),
        Prefix(text: "ghs_", type: .githubToken, minimumBody: 30, caseInsensitive: false),
        Prefix(text: "ghr_", type: .githubToken, minimumBody: 30, caseInsensitive: false),
        Prefix(text: "glpat-", type: .gitlabToken, minimumBody: 20, caseInsensitive: false),
        Prefix(text: "xoxb-", type: .slackToken, minimumBody: 10, caseInsensitive: false),
        Prefix(text: "xoxp-", type: .slackToken, minimumBody: 10, caseInsensitive: false),
        Prefix(text: "xoxa-", type: .slackToken, minimumBody: 10, caseInsensitive: false),
        Prefix(text: "xoxr-", type: .slackToken, minimumBody: 10, caseInsensitive: false),
        Prefix(text: "xoxs-", type: .slackToken, minimumBody: 10, caseInsensitive: false),
        Prefix(text: "xapp-", type: .slackToken, minimumBody: 10, caseInsensitive: false),
        Prefix(text: "sk_live_", type: .stripeKey, minimumBody: 16, caseInsensitive: false),
        Prefix(text: "sk_test_", type: .stripeKey, minimumBody: 16, caseInsensitive: false),
        Prefix(text: "rk_live_", type: .stripeKey, minimumBody: 16, caseInsensitive: false),
        Prefix(text: "rk_test_", type: .stripeKey, minimumBody: 16, caseInsensitive: false),
        Prefix(text: "whsec_", type: .stripeKey, minimumBody: 16, caseInsensitive: false),
        Prefix(text: "sk-ant-", type: .anthropicKey, minimumBody: 20, caseInsensitive: false),
        Prefix(text: "sk-proj-", type: .openAIKey, minimumBody: 20, caseInsensitive: false),
        Prefix(text: "sk-svcacct-", type: .openAIKey, minimumBody: 20, caseInsensitive: false),
        Prefix(text: "sk-", type: .openAIKey, minimumBody: 20, caseInsensitive: false),
        Prefix(text: "AIza", type: .googleAPIKey, minimumBody: 30, caseInsensitive: false),
    ]

    /// Every prefix but `AIza` ends in `_` or `-`, after lower-case letters (`ghp_`, `glpat-`, `sk_live_`,
    /// `github_pat_`): the scan jumps between those separators and tries the word before each one as a prefix.
    static func scanPrefixedKeys(_ s: UnsafeBufferPointer<UInt8>, into findings: inout [Finding]) {
        var nextUnderscore = s.next(0x5F, from: 0)
        var nextDash = s.next(0x2D, from: 0)
        var i = 0
        while true {
            if nextUnderscore < i { nextUnderscore = s.next(0x5F, from: i) }
            if nextDash < i { nextDash = s.next(0x2D, from: i) }
            let separator = min(nextUnderscore, nextDash)
            guard separator < s.count else { break }
            var start = separator
            while start > 0, separator - start < 10, ByteClass.isLower(s[start - 1]) { start -= 1 }
            i = separator + 1
            guard start < separator, start + 8 < s.count else { continue }
            if let end = prefixedKey(s, at: start, into: &findings) { i = end }
        }
        var a = s.next(0x41, from: 0)  // "AIza"
        while a + 8 < s.count {
            if s[a + 1] == 0x49, let end = prefixedKey(s, at: a, into: &findings) {
                a = s.next(0x41, from: end)
            } else {
                a = s.next(0x41, from: a + 1)
            }
        }
    }

    /// The key starting at `i` when a listed prefix starts there (as a word of its own) followed by a long enough
    /// body: recorded, and its end returned.
    private static func prefixedKey(_ s: UnsafeBufferPointer<UInt8>, at i: Int, into findings: inout [Finding]) -> Int? {
        guard !ByteClass.isWord(s.before(i)), s.before(i) != 0x2D else { return nil }
        for prefix in prefixes where s.matches(prefix.text, at: i) {
            let bodyStart = i + prefix.text.utf8CodeUnitCount
            var end = bodyStart
            while end < s.count, ByteClass.isBase64URL(s[end]) { end += 1 }
            guard end - bodyStart >= prefix.minimumBody else { return nil }
            findings.append(Finding(start: i, end: end, type: prefix.type))
            return end
        }
        return nil
    }

    /// AWS access key ids: `AKIA`/`ASIA`/… and 16 upper-case letters or digits.
    static func scanAWSAccessKeys(_ s: UnsafeBufferPointer<UInt8>, into findings: inout [Finding]) {
        var i = 0
        while i + 20 <= s.count {
            // Every prefix starts with "A".
            i = s.next(0x41, from: i)
            guard i + 20 <= s.count else { return }
            guard !ByteClass.isAlnum(s.before(i)),
                s.matches("AKIA", at: i) || s.matches("ASIA", at: i) || s.matches("AIDA", at: i)
                    || s.matches("AROA", at: i) || s.matches("AGPA", at: i) || s.matches("ANPA", at: i)
            else {
                i += 1
                continue
            }
            let body = (i + 4)..<(i + 20)
            if body.allSatisfy({ ByteClass.isUpper(s[$0]) || ByteClass.isDigit(s[$0]) }), !ByteClass.isAlnum(s.at(i + 20)) {
                findings.append(Finding(start: i, end: i + 20, type: .awsAccessKey))
                i += 20
            } else {
                i += 1
            }
        }
    }

    // MARK: PEM

    static func scanPrivateKeys(_ s: UnsafeBufferPointer<UInt8>, into findings: inout [Finding]) {
        var i = 0
        while i + 20 < s.count {
            i = s.next(0x2D, from: i)
            guard i + 20 < s.count else { return }
            guard s.matches("-----BEGIN ", at: i) else {
                i += 1
                continue
            }
            var j = i + 11
            while j < s.count, s[j] != 0x2D, s[j] != 0x0A { j += 1 }
            let label = String(decoding: UnsafeBufferPointer(rebasing: s[(i + 11)..<j]), as: UTF8.self)
            guard label.hasSuffix("PRIVATE KEY") || label.hasSuffix("PRIVATE KEY BLOCK") else {
                i = j
                continue
            }
            // To the END line, or to the end of the text when it was cut.
            var end = s.count
            var k = j
            while k + 9 <= s.count {
                if s[k] == 0x2D, s.matches("-----END ", at: k) {
                    var e = k + 9
                    while e < s.count, s[e] != 0x0A {
                        e += 1
                        if e >= 5, s.matches("-----", at: e - 5), e - 5 > k + 9 { break }
                    }
                    end = e
                    break
                }
                k += 1
            }
            findings.append(Finding(start: i, end: end, type: .privateKey))
            i = end
        }
    }

    // MARK: name=value secrets

    /// `password=…`, `api_key: …`, `AWS_SECRET_ACCESS_KEY="…"`, `token=…` inside free text.
    static func scanInlineSecrets(_ s: UnsafeBufferPointer<UInt8>, rules: KeyRules, into findings: inout [Finding]) {
        // Anchored on "=" and ":", each found with memchr.
        var nextEquals = s.next(0x3D, from: 0)
        var nextColon = s.next(0x3A, from: 0)
        var i = 0
        while true {
            if nextEquals < i { nextEquals = s.next(0x3D, from: i) }
            if nextColon < i { nextColon = s.next(0x3A, from: i) }
            i = min(nextEquals, nextColon)
            guard i < s.count else { return }
            let b = s[i]
            // The name before the separator.
            var nameEnd = i
            while nameEnd > 0, s[nameEnd - 1] == 0x20 || s[nameEnd - 1] == 0x22 || s[nameEnd - 1] == 0x27 { nameEnd -= 1 }
            var nameStart = nameEnd
            while nameStart > 0, ByteClass.isWord(s[nameStart - 1]) || s[nameStart - 1] == 0x2D { nameStart -= 1 }
            guard nameEnd - nameStart >= 3, nameEnd - nameStart <= 64 else {
                i += 1
                continue
            }
            guard rules.verdict(utf8: UnsafeBufferPointer(rebasing: s[nameStart..<nameEnd])) == .secret else {
                i += 1
                continue
            }
            // The value after it: quoted, or up to whitespace, "&", ",", ";" or a closing bracket.
            var valueStart = i + 1
            while valueStart < s.count, s[valueStart] == 0x20 { valueStart += 1 }
            // `scheme://` after a colon is a URL, not a value.
            if b == 0x3A, s.matches("//", at: i + 1) {
                i += 1
                continue
            }
            var valueEnd = valueStart
            if valueStart < s.count, s[valueStart] == 0x22 || s[valueStart] == 0x27 {
                let quote = s[valueStart]
                valueStart += 1
                valueEnd = valueStart
                while valueEnd < s.count, s[valueEnd] != quote { valueEnd += 1 }
            } else {
                while valueEnd < s.count {
                    let c = s[valueEnd]
                    if c == 0x20 || c == 0x26 || c == 0x2C || c == 0x3B || c == 0x29 || c == 0x5D || c == 0x7D || c == 0x0A {
                        break
                    }
                    valueEnd += 1
                }
            }
            // "Bearer xyz" after "Authorization:" is handled by the scheme detector, which keeps the scheme word.
            if valueEnd - valueStart >= 4, !s.matches("bearer", at: valueStart, caseInsensitive: true),
                !s.matches("basic", at: valueStart, caseInsensitive: true)
            {
                findings.append(Finding(start: valueStart, end: valueEnd, type: .inlineSecret))
                i = valueEnd
            } else {
                i += 1
            }
        }
    }

    // MARK: URLs

    /// `scheme://user:password@host` (the user and password go) and sensitive query parameters
    /// (`?token=…`, `&signature=…`, `X-Amz-Signature=…`).
    static func scanURLCredentials(_ s: UnsafeBufferPointer<UInt8>, into findings: inout [Finding]) {
        var i = 0
        while i + 3 < s.count {
            i = s.next(0x3A, from: i)
            guard i + 3 < s.count else { break }
            guard s[i + 1] == 0x2F, s[i + 2] == 0x2F else {
                i += 1
                continue
            }
            // Userinfo: up to "@" before any "/", "?", "#" or space.
            let authority = i + 3
            var j = authority
            var at = -1
            while j < s.count {
                let c = s[j]
                if c == 0x2F || c == 0x3F || c == 0x23 || c == 0x20 || c == 0x22 || c == 0x27 || c == 0x0A { break }
                if c == 0x40 { at = j }
                j += 1
            }
            if at > authority {
                findings.append(Finding(start: authority, end: at, type: .urlCredentials))
            }
            i = max(i + 3, at + 1)
        }
        scanSensitiveQueryParameters(s, into: &findings)
    }

    static let sensitiveParameters: Set<String> = [
        "token", "accesstoken", "refreshtoken", "idtoken", "key", "apikey", "password", "pass", "pwd", "secret",
        "clientsecret", "signature", "sig", "xamzsignature", "xamzcredential", "xamzsecuritytoken", "auth", "code",
        "session", "sessionid", "jwt",
    ]

    static func scanSensitiveQueryParameters(_ s: UnsafeBufferPointer<UInt8>, into findings: inout [Finding]) {
        var nextQuery = s.next(0x3F, from: 0)
        var nextAmpersand = s.next(0x26, from: 0)
        var i = 0
        while true {
            if nextQuery < i { nextQuery = s.next(0x3F, from: i) }
            if nextAmpersand < i { nextAmpersand = s.next(0x26, from: i) }
            i = min(nextQuery, nextAmpersand)  // "?" or "&"
            guard i < s.count else { return }
            var j = i + 1
            while j < s.count, ByteClass.isWord(s[j]) || s[j] == 0x2D || s[j] == 0x2E { j += 1 }
            guard j < s.count, s[j] == 0x3D, j > i + 1 else {
                i += 1
                continue
            }
            let name = KeyRules.normalise(String(decoding: UnsafeBufferPointer(rebasing: s[(i + 1)..<j]), as: UTF8.self))
            var end = j + 1
            while end < s.count, s[end] != 0x26, s[end] != 0x20, s[end] != 0x23, s[end] != 0x22, s[end] != 0x27 { end += 1 }
            if sensitiveParameters.contains(String(decoding: name, as: UTF8.self)), end > j + 1 {
                findings.append(Finding(start: j + 1, end: end, type: .urlCredentials))
            }
            i = end
        }
    }
}

/// base64url (and base64) decoding without padding requirements, for checking a JWT header.
enum Base64URL {
    static func decode(_ s: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(s.count * 3 / 4)
        var buffer: UInt32 = 0
        var bits = 0
        for c in s {
            let v: UInt32
            switch c {
            case 0x41...0x5A: v = UInt32(c - 0x41)
            case 0x61...0x7A: v = UInt32(c - 0x61 + 26)
            case 0x30...0x39: v = UInt32(c - 0x30 + 52)
            case 0x2D, 0x2B: v = 62
            case 0x5F, 0x2F: v = 63
            case 0x3D: continue
            default: return nil
            }
            buffer = buffer << 6 | v
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits)))
            }
        }
        return out
    }
}
