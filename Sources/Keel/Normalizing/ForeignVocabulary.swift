/// What the member names of other loggers' records mean in Keel's schema: the one table that `keel serve` (every
/// ingest format) and `keel pipe` read foreign records with.
///
/// Covers pino, bunyan, zap, Go's slog, structlog, python-json-logger, Serilog's compact JSON, Elastic Common
/// Schema's dotted names, and OpenTelemetry's semantic conventions. Canonical names (``FieldCatalogue``) always
/// mean their own field and are not listed here.
package enum ForeignVocabulary {
    /// One member of the `error` object, sent flat (`exception.type`, `error.message`, zap's `stacktrace` …).
    package enum ErrorPart: Int, CaseIterable, Sendable {
        case type, message, stack

        /// The member's name inside `error`.
        package var name: String {
            switch self {
            case .type: "type"
            case .message: "message"
            case .stack: "stack"
            }
        }
    }

    /// What a name means.
    package enum Meaning: Equatable, Sendable {
        /// The field itself, named canonically or by a common alias.
        case field(FieldID)
        /// The field, only when no member names it better (`url.path` is a route only without `http.route`).
        case fallback(FieldID)
        /// One member of `error`.
        case errorPart(ErrorPart)
    }

    /// The meaning of a member name, if it has one.
    package static func meaning(of name: String) -> Meaning? {
        if let field = FieldCatalogue.field(named: name) { return .field(field) }
        return aliases[name]
    }

    /// The meaning of a member name given as unescaped UTF-8.
    package static func meaning(utf8 name: UnsafeBufferPointer<UInt8>) -> Meaning? {
        if let field = FieldCatalogue.field(utf8: name) { return .field(field) }
        return aliases[String(decoding: name, as: UTF8.self)]
    }

    static let aliases: [String: Meaning] = {
        var table: [String: Meaning] = [:]
        func add(_ field: FieldID, _ names: String...) { for name in names { table[name] = .field(field) } }
        add(.timestamp, "ts", "time", "@timestamp", "@t", "timeUnixNano", "observedTimeUnixNano")
        add(.level, "severity", "lvl", "loglevel", "log.level", "levelname", "severity_text", "severityText", "@l")
        add(.message, "msg", "@m")
        add(.logger, "logger_name", "loggerName", "logger.name", "log.logger")
        add(.service, "service.name", "service_name")
        add(.version, "service.version", "service_version")
        add(.env, "deployment.environment", "deployment.environment.name", "environment")
        add(.host, "hostname", "host.name")
        add(.pid, "process.pid")
        add(.requestID, "req_id", "reqId", "requestId", "requestID", "correlation_id", "correlationId", "x_request_id", "http.request.id")
        add(.traceID, "traceId", "trace.id", "traceID")
        add(.spanID, "spanId", "span.id", "spanID")
        add(.userID, "userId", "user.id", "enduser.id")
        add(.runID, "runId")
        add(.tenantID, "tenantId")
        add(.method, "http.request.method", "http.method")
        add(.route, "http.route")
        add(.status, "http.response.status_code", "http.status_code")
        add(.durationMS, "responseTime")
        add(.error, "err")
        for name in ["url.path", "http.target"] { table[name] = .fallback(.route) }
        for name in ["@mt"] { table[name] = .fallback(.message) }
        for (name, part) in [
            ("exception.type", ErrorPart.type), ("error.type", .type), ("error.kind", .type),
            ("exception.message", .message), ("error.message", .message), ("error_message", .message),
            ("exception.stacktrace", .stack), ("error.stack", .stack), ("error.stack_trace", .stack),
            ("stacktrace", .stack), ("stack_trace", .stack), ("exc_info", .stack), ("@x", .stack),
        ] {
            table[name] = .errorPart(part)
        }
        return table
    }()
}
