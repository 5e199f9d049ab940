/// What the redaction engine removes. The defaults are safe with no configuration; a policy can add secret and
/// body keys, allow-list fields, switch detectors off (IP addresses, say) and add custom detectors.
public struct RedactionPolicy: Sendable {
    /// Key names whose values are secrets or bodies.
    public var keyRules: KeyRules
    /// Value detectors that run, by type. All are on by default.
    public var disabledDetectors: Set<RedactionType>
    /// Dotted paths (`http.route`, `context.build_id`) whose values are never touched.
    public var allowedPaths: Set<String>
    /// Strings longer than this (in UTF-8 bytes) are cut, with the original length recorded.
    public var maximumStringLength: Int
    /// The operator's own detectors, run after the built-in ones.
    public var customDetectors: [CustomDetector] = []
    /// When set, personal data is replaced by a keyed pseudonym (`email:3f9a1c2b`) instead of `[REDACTED:EMAIL]`.
    public var pseudonymizer: Pseudonymizer?

    public init(
        keyRules: KeyRules = KeyRules(), disabledDetectors: Set<RedactionType> = [], allowedPaths: Set<String> = [],
        maximumStringLength: Int = 8192
    ) {
        self.keyRules = keyRules
        self.disabledDetectors = disabledDetectors
        self.allowedPaths = allowedPaths
        self.maximumStringLength = maximumStringLength
    }

    /// The policy used when nothing is configured.
    public static let `default` = RedactionPolicy()

    /// Whether the detector reporting `type` is switched on.
    @inline(__always)
    public func runs(_ type: RedactionType) -> Bool { disabledDetectors.isEmpty || !disabledDetectors.contains(type) }
}
