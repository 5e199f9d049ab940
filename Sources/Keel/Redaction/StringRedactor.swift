/// Runs the value detectors over one string and replaces what they find with `[REDACTED:TYPE]`.
///
/// Detectors report byte ranges of the original; overlapping findings keep the one that starts first (the longer
/// one on a tie), and the output is built in one pass. A string in which nothing is found is returned as it was,
/// without copying.
///
/// A class, so that the encoder passes one reference per event rather than copying the policy.
public final class StringRedactor: Sendable {
    public let policy: RedactionPolicy
    /// The policy's parts the scan reads, unpacked once: reading them through `policy` would copy the struct.
    private let on: Switches
    private let customDetectors: [CustomDetector]
    let pseudonymizer: Pseudonymizer?
    let keyRules: KeyRules

    struct Switches {
        var email, privateKey, jwt, bearer, awsAccessKey, urlCredentials, inlineSecret, creditCard, usSSN, iban, ipv4,
            ipv6, phone, vendorKeys: Bool
    }

    public init(policy: RedactionPolicy = .default) {
        self.policy = policy
        self.customDetectors = policy.customDetectors
        self.pseudonymizer = policy.pseudonymizer
        self.keyRules = policy.keyRules
        let vendor: [RedactionType] = [.githubToken, .gitlabToken, .slackToken, .stripeKey, .openAIKey, .anthropicKey, .googleAPIKey]
        self.on = Switches(
            email: policy.runs(.email), privateKey: policy.runs(.privateKey), jwt: policy.runs(.jwt),
            bearer: policy.runs(.bearerToken), awsAccessKey: policy.runs(.awsAccessKey),
            urlCredentials: policy.runs(.urlCredentials), inlineSecret: policy.runs(.inlineSecret),
            creditCard: policy.runs(.creditCard), usSSN: policy.runs(.usSSN), iban: policy.runs(.iban),
            ipv4: policy.runs(.ipv4), ipv6: policy.runs(.ipv6), phone: policy.runs(.phone),
            vendorKeys: vendor.contains { policy.runs($0) })
    }

    /// The redacted text and what was removed; `nil` when nothing was found.
    public func redact(_ text: String) -> (text: String, types: [RedactionType])? {
        var text = text
        return text.withUTF8 { redact(utf8: $0) }
    }

    public func redact(utf8 s: UnsafeBufferPointer<UInt8>) -> (text: String, types: [RedactionType])? {
        guard s.count >= 6 else { return nil }
        var findings: [Finding] = []
        findAll(in: s, into: &findings)
        guard !findings.isEmpty else { return nil }
        findings.sort()
        var out: [UInt8] = []
        out.reserveCapacity(s.count + 16)
        var types: [RedactionType] = []
        var cursor = 0
        for finding in findings where finding.start >= cursor {
            out.append(contentsOf: UnsafeBufferPointer(rebasing: s[cursor..<finding.start]))
            let value = UnsafeBufferPointer(rebasing: s[finding.start..<finding.end])
            out.append(contentsOf: Self.replacement(for: value, type: finding.type, pseudonymizer: pseudonymizer).utf8)
            cursor = finding.end
            if !types.contains(finding.type) { types.append(finding.type) }
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: s[cursor..<s.count]))
        return (String(decoding: out, as: UTF8.self), types)
    }

    /// What stands in for a removed value: a keyed pseudonym for personal data when a key is configured,
    /// `[REDACTED:TYPE]` otherwise. The one place that decides it.
    static func replacement(
        for value: UnsafeBufferPointer<UInt8>, type: RedactionType, pseudonymizer: Pseudonymizer?
    ) -> String {
        if let pseudonymizer, Pseudonymizer.pseudonymisedTypes.contains(type) {
            return pseudonymizer.token(for: value, type: type)
        }
        return "[REDACTED:" + type.name + "]"
    }

    /// Runs every enabled detector whose trigger bytes occur in `s`.
    func find(in s: UnsafeBufferPointer<UInt8>, into findings: inout [Finding]) {
        let features = Features(s)
        let on = self.on
        if features.at, on.email { EmailDetector.scan(s, into: &findings) }
        if features.dash, on.privateKey { TokenDetectors.scanPrivateKeys(s, into: &findings) }
        if features.eyJ, on.jwt { TokenDetectors.scanJWTs(s, into: &findings) }
        if features.schemeCandidate, on.bearer { TokenDetectors.scanAuthorizationSchemes(s, into: &findings) }
        if features.vendorCandidate, on.vendorKeys { TokenDetectors.scanPrefixedKeys(s, into: &findings) }
        if features.awsCandidate, on.awsAccessKey { TokenDetectors.scanAWSAccessKeys(s, into: &findings) }
        if features.schemeOrQuery, on.urlCredentials { TokenDetectors.scanURLCredentials(s, into: &findings) }
        if features.assignment, on.inlineSecret { TokenDetectors.scanInlineSecrets(s, rules: keyRules, into: &findings) }
        // IPv6 needs no digits at all (`::1`, `fe80::a`).
        if features.colon, on.ipv6 { NetworkDetectors.scanIPv6(s, into: &findings) }
        guard features.digits >= 4 else { return }
        // One solid number longer than any card or phone (a 26-digit request id, say): nothing below can match.
        if features.digits == s.count && s.count > 19 { return }
        let run = features.longestNumberRun
        if run >= 13, on.creditCard { NumberDetectors.scanCards(s, into: &findings) }
        if run >= 9, features.dash, on.usSSN { NumberDetectors.scanSSNs(s, into: &findings) }
        if features.upper, features.digits >= 11, on.iban { NumberDetectors.scanIBANs(s, into: &findings) }
        if run >= 4, features.dot, on.ipv4 { NetworkDetectors.scanIPv4(s, into: &findings) }
        if run >= 8, on.phone { PhoneDetector.scan(s, into: &findings) }
    }

    func findAll(in s: UnsafeBufferPointer<UInt8>, into findings: inout [Finding]) {
        find(in: s, into: &findings)
        for detector in customDetectors { detector.scan(s, into: &findings) }
    }

    /// Which trigger bytes a string contains, so that most detectors are skipped outright.
    ///
    /// The first pass ORs a class bit per byte (about four instructions a byte); detector triggers are derived from
    /// the combined bits, and the digit-run pass runs only for strings with four digits or more. The derived
    /// triggers are necessary conditions of each detector, never sufficient: a detector still checks what it finds.
    struct Features {
        static let digitBit: UInt16 = 1 << 0, atBit: UInt16 = 1 << 1, dashBit: UInt16 = 1 << 2, dotBit: UInt16 = 1 << 3
        static let colonBit: UInt16 = 1 << 4, equalsBit: UInt16 = 1 << 5, queryBit: UInt16 = 1 << 6
        static let upperBit: UInt16 = 1 << 7, lowerBit: UInt16 = 1 << 8, spaceBit: UInt16 = 1 << 9
        static let underscoreBit: UInt16 = 1 << 10, slashBit: UInt16 = 1 << 11, prefixLetterBit: UInt16 = 1 << 12
        static let jBit: UInt16 = 1 << 13, bBit: UInt16 = 1 << 14

        static let bits: [UInt16] = (0..<256).map { b in
            var bits: UInt16 = 0
            switch b {
            case 0x30...0x39: bits = digitBit
            case 0x40: bits = atBit
            case 0x2D: bits = dashBit
            case 0x2E: bits = dotBit
            case 0x3A: bits = colonBit
            case 0x3D: bits = equalsBit
            case 0x3F, 0x26: bits = queryBit
            case 0x41...0x5A: bits = upperBit
            case 0x61...0x7A: bits = lowerBit
            case 0x20: bits = spaceBit
            case 0x5F: bits = underscoreBit
            case 0x2F: bits = slashBit
            default: break
            }
            // First letters of vendor prefixes (ghp_, glpat-, xoxb-, sk-, rk_, whsec_, AIza); of Bearer/Basic.
            if [0x67, 0x78, 0x73, 0x72, 0x77, 0x41].contains(b) { bits |= prefixLetterBit }
            if b == 0x62 || b == 0x42 { bits |= bBit }
            if b == 0x4A { bits |= jBit }
            return bits
        }

        let mask: UInt16
        let digits: Int
        /// The most digits in one run joined only by separators a number can contain (space, `-`, `.`, `/`,
        /// parentheses, `+`, `%`): letters and other characters end a run. Cards need 13, phones 8, SSNs 9.
        var longestNumberRun = 0

        @inline(__always)
        init(_ s: UnsafeBufferPointer<UInt8>) {
            var mask: UInt16 = 0
            var digits = 0
            Self.bits.withUnsafeBufferPointer { bits in
                for b in s {
                    mask |= bits[Int(b)]
                    digits &+= (b &- 0x30 < 10) ? 1 : 0
                }
            }
            self.mask = mask
            self.digits = digits
            guard digits >= 4 else { return }
            // All digits (a numeric id): the run is the whole string, no second pass needed.
            if digits == s.count {
                longestNumberRun = digits
                return
            }
            var run = 0
            for b in s {
                if b &- 0x30 < 10 {
                    run += 1
                    if run > longestNumberRun { longestNumberRun = run }
                } else if !(b == 0x20 || b == 0x2D || b == 0x2E || b == 0x2F || b == 0x28 || b == 0x29 || b == 0x2B || b == 0x25) {
                    run = 0
                }
            }
        }

        @inline(__always) func has(_ bit: UInt16) -> Bool { mask & bit != 0 }
        var at: Bool { has(Self.atBit) }
        var dash: Bool { has(Self.dashBit) }
        var dot: Bool { has(Self.dotBit) }
        var colon: Bool { has(Self.colonBit) }
        var upper: Bool { has(Self.upperBit) }
        /// `eyJ…` needs a `J` and two dots.
        var eyJ: Bool { has(Self.jBit) && has(Self.dotBit) }
        /// `Bearer x` and `Basic x` need a space and a `b`.
        var schemeCandidate: Bool { has(Self.spaceBit) && has(Self.bBit) }
        /// Every vendor prefix has `_` or `-` in it, except `AIza` (upper case).
        var vendorCandidate: Bool {
            has(Self.prefixLetterBit) && (has(Self.underscoreBit) || has(Self.dashBit) || has(Self.upperBit))
        }
        var awsCandidate: Bool { has(Self.upperBit) }
        var schemeOrQuery: Bool { (has(Self.colonBit) && has(Self.slashBit)) || has(Self.queryBit) }
        var assignment: Bool { has(Self.equalsBit) || has(Self.colonBit) }
    }
}
