/// Runs the value detectors over one string and replaces what they find with `[REDACTED:TYPE]`.
///
/// Detectors report byte ranges of the original; overlapping findings keep the one that starts first (the longer
/// one on a tie), and the output is built in one pass. A string in which nothing is found is returned as it was,
/// without copying.
///
/// A class, so that the encoder passes one reference per event rather than copying the policy.
public final class StringRedactor: Sendable {
    public let policy: RedactionPolicy

    public init(policy: RedactionPolicy = .default) { self.policy = policy }

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
            if let pseudonymizer = policy.pseudonymizer, Pseudonymizer.pseudonymisedTypes.contains(finding.type) {
                let value = UnsafeBufferPointer(rebasing: s[finding.start..<finding.end])
                out.append(contentsOf: pseudonymizer.token(for: value, type: finding.type).utf8)
            } else {
                out.append(contentsOf: "[REDACTED:".utf8)
                out.append(contentsOf: finding.type.name.utf8)
                out.append(UInt8(ascii: "]"))
            }
            cursor = finding.end
            if !types.contains(finding.type) { types.append(finding.type) }
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: s[cursor..<s.count]))
        return (String(decoding: out, as: UTF8.self), types)
    }

    /// Runs every enabled detector whose trigger bytes occur in `s`.
    func find(in s: UnsafeBufferPointer<UInt8>, into findings: inout [Finding]) {
        let features = Features(s)
        if features.at, policy.runs(.email) { EmailDetector.scan(s, into: &findings) }
        if features.dash, policy.runs(.privateKey) { TokenDetectors.scanPrivateKeys(s, into: &findings) }
        if features.eyJ, policy.runs(.jwt) { TokenDetectors.scanJWTs(s, into: &findings) }
        if features.letters {
            if policy.runs(.bearerToken) { TokenDetectors.scanAuthorizationSchemes(s, into: &findings) }
            TokenDetectors.scanPrefixedKeys(s, into: &findings)
            if policy.runs(.awsAccessKey) { TokenDetectors.scanAWSAccessKeys(s, into: &findings) }
        }
        if features.schemeOrQuery, policy.runs(.urlCredentials) { TokenDetectors.scanURLCredentials(s, into: &findings) }
        if features.assignment, policy.runs(.inlineSecret) {
            TokenDetectors.scanInlineSecrets(s, rules: policy.keyRules, into: &findings)
        }
        // IPv6 needs no digits at all (`::1`, `fe80::a`).
        if features.colon, policy.runs(.ipv6) { NetworkDetectors.scanIPv6(s, into: &findings) }
        guard features.digits >= 4 else { return }
        let run = features.longestNumberRun
        if run >= 13, policy.runs(.creditCard) { NumberDetectors.scanCards(s, into: &findings) }
        if run >= 9, features.dash, policy.runs(.usSSN) { NumberDetectors.scanSSNs(s, into: &findings) }
        if features.upper, features.digits >= 11, policy.runs(.iban) { NumberDetectors.scanIBANs(s, into: &findings) }
        if run >= 4, features.dot, policy.runs(.ipv4) { NetworkDetectors.scanIPv4(s, into: &findings) }
        if run >= 8, policy.runs(.phone) { PhoneDetector.scan(s, into: &findings) }
    }

    func findAll(in s: UnsafeBufferPointer<UInt8>, into findings: inout [Finding]) {
        find(in: s, into: &findings)
        for detector in policy.customDetectors { detector.scan(s, into: &findings) }
    }

    /// Which trigger bytes a string contains, found in one pass so that most detectors are skipped outright.
    struct Features {
        var at = false
        var dash = false
        var dot = false
        var colon = false
        var upper = false
        var letters = false
        var eyJ = false
        var schemeOrQuery = false
        var assignment = false
        var digits = 0
        /// The most digits in one run joined only by separators a number can contain (space, `-`, `.`, `/`,
        /// parentheses, `+`, `%`): letters and other characters end a run. Cards need 13, phones 8, SSNs 9.
        var longestNumberRun = 0

        /// Byte classes: 0 ends a number run, 1 digit, 2 number separator, 3 letter, 4 trigger punctuation.
        static let classes: [UInt8] = (0..<256).map { b in
            switch b {
            case 0x30...0x39: 1
            case 0x20, 0x2D, 0x2E, 0x2F, 0x28, 0x29, 0x2B, 0x25: 2
            case 0x41...0x5A, 0x61...0x7A: 3
            case 0x40, 0x3A, 0x3D, 0x3F, 0x26: 4
            default: 0
            }
        }

        @inline(__always)
        init(_ s: UnsafeBufferPointer<UInt8>) {
            var run = 0
            Self.classes.withUnsafeBufferPointer { classes in
                for i in 0..<s.count {
                    let b = s[i]
                    switch classes[Int(b)] {
                    case 1:
                        digits += 1
                        run += 1
                        if run > longestNumberRun { longestNumberRun = run }
                    case 2:
                        if b == 0x2D { dash = true } else if b == 0x2E { dot = true }
                    case 3:
                        run = 0
                        letters = true
                        if b &- 0x41 < 26 { upper = true }
                        if b == 0x65, s.at(i + 1) == 0x79, s.at(i + 2) == 0x4A { eyJ = true }
                    case 4:
                        run = 0
                        switch b {
                        case 0x40: at = true
                        case 0x3A:
                            colon = true
                            assignment = true
                            if s.at(i + 1) == 0x2F { schemeOrQuery = true }
                        case 0x3D: assignment = true
                        default: schemeOrQuery = true
                        }
                    default:
                        run = 0
                    }
                }
            }
        }
    }
}
