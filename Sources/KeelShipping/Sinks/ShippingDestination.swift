/// Where a ``ShippingSink`` sends lines, and how.
public struct ShippingDestination: Sendable, Equatable {
    public enum Format: String, Sendable, CaseIterable {
        /// `keel serve`'s `POST /v1/events`: the canonical lines as NDJSON, gzip'd, with a bearer token. Lines carry
        /// their `event_id`, so a batch sent twice is stored once.
        case keel
        /// Grafana Loki's `POST /loki/api/v1/push`: protobuf in snappy's block format. Each line is kept whole (it
        /// is already canonical JSON, ids and all); a few low-cardinality fields are its stream's labels
        /// (``lokiLabels``).
        case loki
        /// OTLP/HTTP logs (`POST /v1/logs`, an OpenTelemetry Collector's or `keel serve`'s): protobuf
        /// `ExportLogsServiceRequest`, gzip'd; `service`, `env` and `version` as the resource's attributes, the
        /// level as severity, trace and span ids as bytes, the other fields as attributes. A `partial_success` the
        /// collector answers is counted as dropped.
        case otlp
    }

    /// The server's address: for `keel`, its base (`http://logs:8080`) or the full `/v1/events` URL.
    public var url: String
    public var format: Format
    /// A bearer token (an ingest token of `keel serve`, a Loki gateway's token).
    public var token: String?
    /// Basic authentication instead (Grafana Cloud: the instance id and an access policy token).
    public var basicAuth: (user: String, password: String)?
    /// `X-Scope-OrgID`: the tenant of a multi-tenant Loki (or an admin token's tenant on `keel serve`).
    public var tenant: String?
    /// For Loki: the fields whose values make a line's stream labels. Keep them few and of few values each — ids
    /// and the like stay in the line, where Loki's parsers read them.
    public var lokiLabels: [String] = ["service", "env", "level"]
    /// For Loki 3: fields also sent as each line's structured metadata (`trace_id`, `request_id` …), which Loki
    /// indexes apart from the labels and queries without a parser (`{service="api"} | trace_id="4bf9…"`). Empty by
    /// default: the fields are in the line either way, and an older Loki refuses structured metadata.
    public var lokiStructuredMetadata: [String] = []

    public init(url: String, format: Format = .keel, token: String? = nil, tenant: String? = nil) {
        self.url = url
        self.format = format
        self.token = token
        self.tenant = tenant
    }

    public static func == (a: ShippingDestination, b: ShippingDestination) -> Bool {
        a.url == b.url && a.format == b.format && a.token == b.token && a.basicAuth?.user == b.basicAuth?.user
            && a.basicAuth?.password == b.basicAuth?.password && a.tenant == b.tenant && a.lokiLabels == b.lokiLabels
            && a.lokiStructuredMetadata == b.lokiStructuredMetadata
    }

    /// The URL batches are posted to.
    var endpoint: String {
        let base = url.hasSuffix("/") ? String(url.dropLast()) : url
        let path =
            switch format {
            case .keel: "/v1/events"
            case .loki: "/loki/api/v1/push"
            case .otlp: "/v1/logs"
            }
        return base.hasSuffix(path) ? base : base + path
    }
}
