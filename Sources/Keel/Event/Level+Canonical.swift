public import Logging

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

    /// Parses a level written by Keel or by a person: canonical names and swift-log's names, any case
    /// (`WARN`, `warning`, `Info`, `err`, `fatal` …).
    public init?(canonicalName text: some StringProtocol) {
        switch text.lowercased() {
        case "trace": self = .trace
        case "debug": self = .debug
        case "info", "information": self = .info
        case "notice": self = .notice
        case "warn", "warning": self = .warning
        case "error", "err": self = .error
        case "critical", "crit", "fatal", "emergency", "alert": self = .critical
        default: return nil
        }
    }
}
