/// Runs the value detectors over one string and replaces what they find with `[REDACTED:TYPE]`.
///
/// Detectors report byte ranges of the original; overlapping findings keep the one that starts first (the longer
/// one on a tie), and the output is built in one pass. A string in which nothing is found is returned as it was,
/// without copying.
///
/// A class, so that the encoder passes one reference per event rather than copying the policy.
package final class StringRedactor: Sendable {
    package let policy: RedactionPolicy
    /// The policy's parts the scan reads, unpacked once: reading them through `policy` would copy the struct.
    private let enabled: DetectorSet
    /// Whether some detector types are switched off, so findings of combined detectors (vendor keys, `Bearer` and
    /// `Basic`) must be filtered by type.
    private let filtersTypes: Bool
    private let customDetectors: [CustomDetector]
    private let hasCustomDetectors: Bool
    let pseudonymizer: Pseudonymizer?
    let keyRules: KeyRules

    package init(policy: RedactionPolicy = .default) {
        self.policy = policy
        self.enabled = DetectorSet(enabledBy: policy)
        self.filtersTypes = !policy.disabledDetectors.isEmpty
        self.customDetectors = policy.customDetectors
        self.hasCustomDetectors = !policy.customDetectors.isEmpty
        self.pseudonymizer = policy.pseudonymizer
        self.keyRules = policy.keyRules
    }

    /// The redacted text and what was removed; `nil` when nothing was found.
    package func redact(_ text: String) -> (text: String, types: [RedactionType])? {
        // Shorter than any detector's match: decided without touching the bytes.
        guard text.utf8.count >= Self.shortest else { return nil }
        if let found = text.utf8.withContiguousStorageIfAvailable({ redact(utf8: $0) }) { return found }
        var text = text
        return text.withUTF8 { redact(utf8: $0) }
    }

    /// No built-in detector matches fewer bytes than this.
    static let shortest = 6

    /// The redacted text and what was removed; `nil` when nothing was found.
    ///
    /// Most strings in a log line (ids, routes, names of things) are decided by the byte pass alone, without
    /// building anything: this part is meant to be inlined into the encoder.
    @inline(__always)
    package func redact(utf8 s: UnsafeBufferPointer<UInt8>) -> (text: String, types: [RedactionType])? {
        guard s.count >= Self.shortest else { return nil }
        return redact(utf8: s, features: ByteFeatures(s))
    }

    /// The same, with the byte pass already done by the caller.
    @inline(__always)
    func redact(utf8 s: UnsafeBufferPointer<UInt8>, features: ByteFeatures) -> (text: String, types: [RedactionType])? {
        guard let findings = findings(in: s, features: features) else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(s.count + 16)
        var types: [RedactionType] = []
        forEachPart(of: s, findings) { kept in
            out.append(contentsOf: kept)
        } replaced: { replacement, type in
            out.append(contentsOf: replacement.utf8)
            if !types.contains(type) { types.append(type) }
        }
        return (String(decoding: out, as: UTF8.self), types)
    }

    /// What the detectors found in `s`, in order and without overlaps; `nil` when nothing was found — decided
    /// without allocating anything for the many strings the byte pass alone rules out.
    @inline(__always)
    func findings(in s: UnsafeBufferPointer<UInt8>, features: ByteFeatures) -> [Finding]? {
        guard let detectors = detectors(for: s, features: features) else { return nil }
        return findings(in: s, running: detectors)
    }

    /// The detectors worth running over `s`; `nil` when the byte pass rules every one out.
    @inline(__always)
    func detectors(for s: UnsafeBufferPointer<UInt8>, features: ByteFeatures) -> DetectorSet? {
        guard s.count >= Self.shortest else { return nil }
        let detectors = features.candidates(in: s).intersection(enabled)
        guard detectors.rawValue != 0 || hasCustomDetectors else { return nil }
        return detectors
    }

    /// What the given detectors (and the custom ones) found in `s`, in order and without overlaps.
    @inline(never)
    func findings(in s: UnsafeBufferPointer<UInt8>, running detectors: DetectorSet) -> [Finding]? {
        var findings: [Finding] = []
        find(in: s, running: detectors, into: &findings)
        for detector in customDetectors { detector.scan(s, into: &findings) }
        if filtersTypes { findings.removeAll { !policy.runs($0.type) } }
        guard findings.count > 1 else { return findings.isEmpty ? nil : findings }
        // Overlapping findings keep the one that starts first (the longer one on a tie).
        findings.sort()
        var cursor = 0
        findings.removeAll { finding in
            guard finding.start >= cursor else { return true }
            cursor = finding.end
            return false
        }
        return findings
    }

    /// Walks `s` as the findings cut it: `kept` gets each stretch that stays (possibly empty), `replaced` what stands
    /// in for each finding.
    @inline(__always)
    func forEachPart(
        of s: UnsafeBufferPointer<UInt8>, _ findings: [Finding], kept: (UnsafeBufferPointer<UInt8>) -> Void,
        replaced: (String, RedactionType) -> Void
    ) {
        var cursor = 0
        for finding in findings {
            kept(UnsafeBufferPointer(rebasing: s[cursor..<finding.start]))
            let value = UnsafeBufferPointer(rebasing: s[finding.start..<finding.end])
            replaced(Self.replacement(for: value, type: finding.type, pseudonymizer: pseudonymizer), finding.type)
            cursor = finding.end
        }
        kept(UnsafeBufferPointer(rebasing: s[cursor..<s.count]))
    }

    /// Writes `s`, with `findings` replaced, into `out` as a JSON string literal, without building the redacted text
    /// first; `found` is told each type replaced. Returns the redacted text's length in UTF-8 bytes (quotes and escapes
    /// not counted), so that a caller with a length limit can cut `out` back and take a slower way.
    func appendJSONString(
        redacting s: UnsafeBufferPointer<UInt8>, _ findings: [Finding], to out: inout OutputBuffer,
        found: (RedactionType) -> Void
    ) -> Int {
        var length = 0
        out.append(UInt8(ascii: "\""))
        forEachPart(of: s, findings) { kept in
            length += kept.count
            out.appendEscapedValidUTF8(kept)
        } replaced: { replacement, type in
            length += replacement.utf8.count
            found(type)
            // Masks and pseudonyms are ASCII, but a custom detector's type name comes from a policy file.
            var replacement = replacement
            replacement.withUTF8 { out.appendEscapedValidUTF8($0) }
        }
        out.append(UInt8(ascii: "\""))
        return length
    }

    /// What stands in for a removed value: a keyed pseudonym for personal data when a key is configured,
    /// `[REDACTED:TYPE]` otherwise. The one place that decides it.
    static func replacement(
        for value: UnsafeBufferPointer<UInt8>, type: RedactionType, pseudonymizer: Pseudonymizer?
    ) -> String {
        if let pseudonymizer, Pseudonymizer.pseudonymisedTypes.contains(type) {
            return pseudonymizer.token(for: value, type: type)
        }
        return type.mask
    }

    /// Runs the given detectors over `s`.
    func find(in s: UnsafeBufferPointer<UInt8>, running detectors: DetectorSet, into findings: inout [Finding]) {
        if detectors.contains(.email) { EmailDetector.scan(s, into: &findings) }
        if detectors.contains(.privateKey) { TokenDetectors.scanPrivateKeys(s, into: &findings) }
        if detectors.contains(.jwt) { TokenDetectors.scanJWTs(s, into: &findings) }
        if detectors.contains(.authorizationScheme) { TokenDetectors.scanAuthorizationSchemes(s, into: &findings) }
        if detectors.contains(.vendorKey) { TokenDetectors.scanPrefixedKeys(s, into: &findings) }
        if detectors.contains(.awsAccessKey) { TokenDetectors.scanAWSAccessKeys(s, into: &findings) }
        if detectors.contains(.urlCredentials) { TokenDetectors.scanURLCredentials(s, into: &findings) }
        if detectors.contains(.inlineSecret) { TokenDetectors.scanInlineSecrets(s, rules: keyRules, into: &findings) }
        if detectors.contains(.ipv6) { NetworkDetectors.scanIPv6(s, into: &findings) }
        if detectors.contains(.creditCard) { NumberDetectors.scanCards(s, into: &findings) }
        if detectors.contains(.usSSN) { NumberDetectors.scanSSNs(s, into: &findings) }
        if detectors.contains(.iban) { NumberDetectors.scanIBANs(s, into: &findings) }
        if detectors.contains(.ipv4) { NetworkDetectors.scanIPv4(s, into: &findings) }
        if detectors.contains(.phone) { PhoneDetector.scan(s, into: &findings) }
    }
}
