/// Where a ``ShippingSink`` sends lines, and how.
public struct ShippingDestination: Sendable, Equatable {
    public enum Format: String, Sendable, CaseIterable {
        /// `keel serve`'s `POST /v1/events`: the canonical lines as NDJSON, gzip'd, with a bearer token. Lines carry
        /// their `event_id`, so a batch sent twice is stored once.
        case keel
    }

    /// The server's address: for `keel`, its base (`http://logs:8080`) or the full `/v1/events` URL.
    public var url: String
    public var format: Format
    /// A bearer token (an ingest token of `keel serve`).
    public var token: String?

    public init(url: String, format: Format = .keel, token: String? = nil) {
        self.url = url
        self.format = format
        self.token = token
    }

    /// The URL batches are posted to.
    var endpoint: String {
        switch format {
        case .keel:
            let base = url.hasSuffix("/") ? String(url.dropLast()) : url
            return base.hasSuffix("/v1/events") ? base : base + "/v1/events"
        }
    }
}
