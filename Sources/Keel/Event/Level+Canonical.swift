public import Logging

/// The one vocabulary of levels: their names on the wire, the names other loggers use for them, their numbers in
/// pino, bunyan and OpenTelemetry, and their order. Every reader, renderer, filter and store goes through it.
extension Logger.Level {
    /// The level's name on the wire: `TRACE DEBUG INFO NOTICE WARN ERROR CRITICAL`.
    public var canonicalName: String {
        switch self {
        case .trace: "TRACE"
        case .debug: "DEBUG"
        case .info: "INFO"
        case .notice: "NOTICE"
        case .warning: "WARN"
        case .error: "ERROR"
        case .critical: "CRITICAL"
        }
    }

    /// Parses a level written by Keel, by a person or by another logger, in any case: canonical names, swift-log's
    /// names and the synonyms of other ecosystems (`warning`, `Info`, `err`, `fatal`, `panic`, `severe`, `dbg` …).
    public init?(canonicalName text: some StringProtocol) {
        switch text.lowercased() {
        case "trace", "trc", "finest", "verbose": self = .trace
        case "debug", "dbg", "fine", "finer": self = .debug
        case "info", "inf", "information", "informational": self = .info
        case "notice": self = .notice
        case "warn", "warning", "wrn": self = .warning
        case "error", "err", "eror": self = .error
        case "critical", "crit", "fatal", "panic", "dpanic", "alert", "emerg", "emergency", "severe": self = .critical
        default: return nil
        }
    }

    /// A level's name exactly as Keel writes it (``canonicalName``), given as UTF-8: what a Keel line says, read
    /// without making a `String`. Any other spelling is for ``init(canonicalName:)``.
    package init?(wireName name: UnsafeBufferPointer<UInt8>) {
        guard let level = Self.byFrequency.first(where: { $0.canonicalName.utf8.elementsEqual(name) }) else { return nil }
        self = level
    }

    /// Every level, the commonest in logs first.
    private static let byFrequency: [Logger.Level] = [.info, .error, .warning, .debug, .trace, .notice, .critical]

    /// A level given as a number: pino's and bunyan's scale (10 trace, 20 debug, 30 info, 40 warn, 50 error,
    /// 60 fatal), numbers between steps counting as the step below.
    package init(pinoNumber n: Int) {
        switch n {
        case ..<20: self = .trace
        case ..<30: self = .debug
        case ..<40: self = .info
        case ..<50: self = .warning
        case ..<60: self = .error
        default: self = .critical
        }
    }

    /// OpenTelemetry's severity numbers: 1–4 TRACE, 5–8 DEBUG, 9–12 INFO, 13–16 WARN, 17–20 ERROR, 21–24 FATAL.
    package init(otelSeverity n: Int) {
        switch n {
        case ..<5: self = .trace
        case ..<9: self = .debug
        case ..<13: self = .info
        case ..<17: self = .warning
        case ..<21: self = .error
        default: self = .critical
        }
    }

    /// A level as a foreign record gives it: a name (``init(canonicalName:)``) or a pino / bunyan number.
    package init?(foreign value: JSONValue) {
        switch value {
        case .string(let text): self.init(canonicalName: text)
        case .number(let text):
            guard let n = Int(text) else { return nil }
            self.init(pinoNumber: n)
        default: return nil
        }
    }

    /// 0 for TRACE up to 6 for CRITICAL: what stores index and filters compare.
    package var rank: Int {
        switch self {
        case .trace: 0
        case .debug: 1
        case .info: 2
        case .notice: 3
        case .warning: 4
        case .error: 5
        case .critical: 6
        }
    }

    /// The rank of a stored level name; an unknown name counts as INFO.
    package static func rank(ofName name: some StringProtocol) -> Int {
        (Logger.Level(canonicalName: name) ?? .info).rank
    }
}
