/// The single source of truth for schema v1: every canonical field's name, type, meaning and rules.
///
/// This is the only place a canonical key string is written. The encoder, the metadata promotion rules,
/// `keel schema` (Markdown and JSON Schema) and the readers all refer to these entries.
public enum FieldCatalogue {
    /// The schema version written in `schema_version`.
    public static let schemaVersion = 1

    /// Every field, in output order.
    public static let fields: [FieldSpec] = FieldID.allCases.map(makeSpec)

    /// The spec of one field.
    @inline(__always)
    public static func spec(_ id: FieldID) -> FieldSpec { fields[Int(id.rawValue)] }

    /// The field a JSON key names, if it is canonical: by ``FieldLookup``'s byte tables (no `String` hashing) when
    /// the key's bytes are contiguous, as parsed and literal strings are.
    public static func field(named name: String) -> FieldID? {
        if let found = name.utf8.withContiguousStorageIfAvailable({ FieldLookup.field(utf8: $0) }) { return found }
        return byName[name]
    }

    /// The field named by the UTF-8 bytes of a key (unescaped), if it is canonical.
    @inline(__always)
    public static func field(utf8 name: UnsafeBufferPointer<UInt8>) -> FieldID? { FieldLookup.field(utf8: name) }

    static let byName: [String: FieldID] = Dictionary(
        uniqueKeysWithValues: fields.map { ($0.name, $0.id) }
    )

    private static let base: [StorageClass] = [.ops, .audit, .cost]

    // swiftlint:disable:next function_body_length cyclomatic_complexity
    private static func makeSpec(_ id: FieldID) -> FieldSpec {
        func f(
            _ name: String, _ type: JSONType, _ group: FieldGroup, _ owner: FieldOwner, _ meaning: String,
            required: [StorageClass] = [], values: [String] = [], members: [SubField] = [],
            format: String? = nil, pattern: String? = nil
        ) -> FieldSpec {
            FieldSpec(
                id: id, name: name, type: type, group: group, owner: owner, meaning: meaning,
                requiredFor: required, allowedValues: values, members: members, format: format, pattern: pattern
            )
        }
        switch id {
        case .timestamp:
            return f(
                "timestamp", .string, .envelope, .pipeline,
                "When the event happened: RFC 3339, UTC, microseconds (`2026-01-02T03:04:05.123456Z`).",
                required: base, format: "date-time",
                pattern: #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$"#)
        case .level:
            return f(
                "level", .string, .envelope, .pipeline, "Severity.", required: base,
                values: ["TRACE", "DEBUG", "INFO", "NOTICE", "WARN", "ERROR", "CRITICAL"])
        case .message:
            return f("message", .string, .envelope, .pipeline, "The human-readable message.", required: base)
        case .event:
            return f(
                "event", .string, .envelope, .caller,
                "What happened, as a dotted name (`http.request`, `usage.recorded`); `log` for free text.",
                required: base, pattern: #"^[a-z0-9_]+(\.[a-z0-9_]+)*$"#)
        case .logger:
            return f("logger", .string, .envelope, .pipeline, "The label of the swift-log `Logger` that wrote it.")
        case .component:
            return f("component", .string, .envelope, .caller, "The part of the service that wrote it.")
        case .service:
            return f(
                "service", .string, .envelope, .pipeline, "The service's name (`KEEL_SERVICE`).", required: base)
        case .env:
            return f(
                "env", .string, .envelope, .pipeline,
                "The deployment environment (`KEEL_ENV`): `production`, `staging`, `development` …")
        case .version:
            return f("version", .string, .envelope, .pipeline, "The service's version (`KEEL_VERSION`).")
        case .host:
            return f("host", .string, .envelope, .pipeline, "The host name of the machine or container.")
        case .pid:
            return f("pid", .integer, .envelope, .pipeline, "The process id.")
        case .schemaVersion:
            return f(
                "schema_version", .integer, .envelope, .pipeline, "The version of this schema: 1.", required: base)
        case .eventID:
            return f(
                "event_id", .string, .envelope, .pipeline,
                "A unique, time-sortable id of this event (UUIDv7, lowercase).", required: base,
                pattern: "^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
        case .storageClass:
            return f(
                "storage_class", .string, .envelope, .caller,
                "How the event is kept: `ops` may be sampled or dropped; `audit` and `cost` never are.",
                required: base, values: StorageClass.all.map(\.name))
        case .truncated:
            return f(
                "truncated", .boolean, .envelope, .pipeline,
                "Present and `true` when string fields were cut to keep the line under the maximum line size.")
        case .requestID:
            return f(
                "request_id", .string, .correlation, .caller,
                "The request this event belongs to (from `X-Request-ID`, or generated).")
        case .traceID:
            return f(
                "trace_id", .string, .correlation, .caller, "W3C trace id: 32 lowercase hex digits.",
                pattern: "^[0-9a-f]{32}$")
        case .spanID:
            return f(
                "span_id", .string, .correlation, .caller, "W3C span id: 16 lowercase hex digits.",
                pattern: "^[0-9a-f]{16}$")
        case .parentSpanID:
            return f(
                "parent_span_id", .string, .correlation, .caller, "The parent span's id.", pattern: "^[0-9a-f]{16}$")
        case .tenantID:
            return f("tenant_id", .string, .scope, .caller, "The tenant (customer organisation) the work is for.")
        case .projectID:
            return f("project_id", .string, .scope, .caller, "The project within the tenant.")
        case .appID:
            return f("app_id", .string, .scope, .caller, "The application within the project.")
        case .surface:
            return f("surface", .string, .scope, .caller, "Where the work came in: `api`, `web`, `cli`, `worker` …")
        case .userID:
            return f("user_id", .string, .scope, .caller, "An opaque user id; never an e-mail or a name.")
        case .sessionID:
            return f("session_id", .string, .scope, .caller, "The user's session.")
        case .runID:
            return f("run_id", .string, .run, .caller, "A multi-step run (an agent run, a job, a pipeline).")
        case .flowID:
            return f("flow_id", .string, .run, .caller, "The flow within the run.")
        case .stepID:
            return f("step_id", .string, .run, .caller, "The step within the flow.")
        case .method:
            return f("method", .string, .http, .caller, "HTTP method, upper case.")
        case .route:
            return f(
                "route", .string, .http, .caller,
                "The route template (`/v1/users/{id}`), never the raw path, which may carry ids and PII.")
        case .status:
            return f("status", .integer, .http, .caller, "HTTP status code.")
        case .durationMS:
            return f(
                "duration_ms", .number, .http, .caller,
                "How long it took, in milliseconds: the one name for latency and duration everywhere.")
        case .bytesIn:
            return f("bytes_in", .integer, .http, .caller, "Request body size in bytes.")
        case .bytesOut:
            return f("bytes_out", .integer, .http, .caller, "Response body size in bytes.")
        case .provider:
            return f("provider", .string, .usage, .caller, "The model or API provider (`openai`, `anthropic` …).")
        case .model:
            return f("model", .string, .usage, .caller, "The model name.")
        case .tokensPrompt:
            return f("tokens_prompt", .integer, .usage, .caller, "Prompt (input) tokens.")
        case .tokensResponse:
            return f("tokens_response", .integer, .usage, .caller, "Response (output) tokens.")
        case .costUSD:
            return f("cost_usd", .number, .usage, .caller, "Cost in US dollars.")
        case .workerID:
            return f("worker_id", .string, .worker, .caller, "The supervised worker.")
        case .workerState:
            return f(
                "worker_state", .string, .worker, .caller,
                "The worker's state: `starting`, `ready`, `exited`, `restarting`, `crash_loop`, `maintenance`.")
        case .restartCount:
            return f("restart_count", .integer, .worker, .caller, "How many times the worker was restarted.")
        case .backoffMS:
            return f("backoff_ms", .number, .worker, .caller, "The delay before the next restart, in milliseconds.")
        case .exitCode:
            return f("exit_code", .integer, .worker, .caller, "The worker's exit status.")
        case .maintenanceMode:
            return f("maintenance_mode", .boolean, .worker, .caller, "Whether the supervisor is in maintenance mode.")
        case .errorCode:
            return f(
                "error_code", .string, .outcome, .caller,
                "A stable, machine-readable error code (`upstream_timeout`), for grouping and alerting.")
        case .retryable:
            return f("retryable", .boolean, .outcome, .caller, "Whether retrying the failed work may succeed.")
        case .error:
            return f(
                "error", .object, .outcome, .caller, "The error this event reports.",
                members: [
                    SubField(name: "type", type: .string, meaning: "The error's type name."),
                    SubField(name: "message", type: .string, meaning: "The error's description."),
                    SubField(name: "stack", type: .string, meaning: "A stack trace, where available."),
                ])
        case .source:
            return f(
                "source", .object, .source, .pipeline, "Where in the code the event was logged.",
                members: [
                    SubField(name: "module", type: .string, meaning: "The Swift module (swift-log's `source`)."),
                    SubField(name: "file", type: .string, meaning: "The file (`#fileID`)."),
                    SubField(name: "function", type: .string, meaning: "The function."),
                    SubField(name: "line", type: .integer, meaning: "The line."),
                ])
        case .context:
            return f(
                "context", .object, .free, .pipeline,
                "All other metadata, nested as given; also where a metadata value that did not fit its canonical "
                    + "field's type, or that named a field only Keel may set, is kept.")
        case .redacted:
            return f(
                "redacted", .array, .envelope, .pipeline,
                "The types of what redaction removed from this event (`EMAIL`, `SECRET`, `BODY` …), once each, so an "
                    + "operator can see that something was removed without seeing it. Absent when nothing was.")
        case .seq:
            return f(
                "seq", .integer, .audit, .pipeline, "Position in the audit log, from 1, without gaps.",
                required: [.audit])
        case .prevHash:
            return f(
                "prev_hash", .string, .audit, .pipeline, "The previous record's `hash` (64 hex digits).",
                required: [.audit], pattern: "^[0-9a-f]{64}$")
        case .hash:
            return f(
                "hash", .string, .audit, .pipeline,
                "SHA-256 over this record's canonical bytes and `prev_hash` (64 hex digits).",
                required: [.audit], pattern: "^[0-9a-f]{64}$")
        }
    }
}
