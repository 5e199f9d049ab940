/// What a redaction removed. The name is what replaces the value (`[REDACTED:EMAIL]`) and what the event's
/// `redacted` list and the per-type counters report.
public struct RedactionType: Hashable, Sendable, CustomStringConvertible, Comparable {
    public let name: String
    /// What stands in for a removed value of this type: `[REDACTED:NAME]`, built once.
    public let mask: String
    public init(_ name: String) {
        self.name = name
        self.mask = "[REDACTED:" + name + "]"
    }
    public var description: String { name }
    public static func < (a: RedactionType, b: RedactionType) -> Bool { a.name < b.name }

    // Values found by detectors.
    public static let email = RedactionType("EMAIL")
    public static let phone = RedactionType("PHONE")
    public static let creditCard = RedactionType("CREDIT_CARD")
    public static let iban = RedactionType("IBAN")
    public static let usSSN = RedactionType("US_SSN")
    public static let ipv4 = RedactionType("IPV4")
    public static let ipv6 = RedactionType("IPV6")
    public static let jwt = RedactionType("JWT")
    public static let bearerToken = RedactionType("BEARER_TOKEN")
    public static let basicCredentials = RedactionType("BASIC_CREDENTIALS")
    public static let awsAccessKey = RedactionType("AWS_ACCESS_KEY")
    public static let awsSecretKey = RedactionType("AWS_SECRET_KEY")
    public static let githubToken = RedactionType("GITHUB_TOKEN")
    public static let gitlabToken = RedactionType("GITLAB_TOKEN")
    public static let slackToken = RedactionType("SLACK_TOKEN")
    public static let stripeKey = RedactionType("STRIPE_KEY")
    public static let openAIKey = RedactionType("OPENAI_KEY")
    public static let anthropicKey = RedactionType("ANTHROPIC_KEY")
    public static let googleAPIKey = RedactionType("GOOGLE_API_KEY")
    public static let privateKey = RedactionType("PRIVATE_KEY")
    public static let urlCredentials = RedactionType("URL_CREDENTIALS")
    public static let inlineSecret = RedactionType("INLINE_SECRET")
    // Values removed because of their key.
    public static let secret = RedactionType("SECRET")
    public static let body = RedactionType("BODY")
    /// A value the application marked sensitive.
    public static let sensitive = RedactionType("SENSITIVE")

    /// The types value detectors report (what a policy can switch on and off).
    public static let detected: [RedactionType] = [
        .email, .phone, .creditCard, .iban, .usSSN, .ipv4, .ipv6, .jwt, .bearerToken, .basicCredentials,
        .awsAccessKey, .githubToken, .gitlabToken, .slackToken, .stripeKey, .openAIKey, .anthropicKey, .googleAPIKey,
        .privateKey, .urlCredentials, .inlineSecret,
    ]
}
