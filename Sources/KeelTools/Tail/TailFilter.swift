public import Keel
public import Logging

/// Which lines `keel tail` shows.
public struct TailFilter: Sendable {
    /// Show events at this level or above.
    public var minimumLevel: Logger.Level?
    public var requestID: String?
    public var tenant: String?
    /// A regular expression matched against the whole line.
    public var grep: String?

    public init(minimumLevel: Logger.Level? = nil, requestID: String? = nil, tenant: String? = nil, grep: String? = nil) {
        self.minimumLevel = minimumLevel
        self.requestID = requestID
        self.tenant = tenant
        self.grep = grep
    }

    /// Whether a filter on event fields is set (a line that is not JSON cannot match one).
    public var filtersFields: Bool { minimumLevel != nil || requestID != nil || tenant != nil }
}
