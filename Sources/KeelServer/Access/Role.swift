/// What a token may do. Every role stays inside its tenant; only `admin` may name another with `X-Scope-OrgID`.
public enum Role: String, Sendable, Codable, CaseIterable {
    /// Send events.
    case ingest
    /// Query, timelines, tail and export.
    case read
    /// `/metrics` only: what a Prometheus scraper needs, without reading any tenant's events or erasing them.
    case metrics
    /// Everything: ingest, read, forget, metrics, and any tenant via `X-Scope-OrgID`.
    case admin

    func allows(_ needed: Role) -> Bool { self == .admin || self == needed }
}

/// Who is asking, once a request's token is checked.
public struct Principal: Sendable, Equatable {
    /// The token's id (never the token): what audit events record.
    public let tokenID: String
    /// The tenant the request reads or writes.
    public let tenant: String
    public let role: Role
}
