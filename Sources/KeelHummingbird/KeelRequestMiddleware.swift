public import Hummingbird
public import HTTPTypes
public import Keel
public import Logging

/// Hummingbird middleware that gives every request its ids and one access event.
///
/// For each request it:
/// - takes the request id from `X-Request-ID` or `X-Correlation-ID` when well-formed (``RequestID/accepting(_:)``),
///   or makes a new one, and returns it in the `X-Request-ID` response header;
/// - parses W3C `traceparent` (a new trace when absent or malformed), starts a span of its own under it, and returns
///   that in the response's `traceparent`;
/// - runs the rest of the chain inside ``withLogContext(_:operation:)`` and `withLogger`, so every line written
///   while handling the request — through `context.logger`, `Logger.current` or any other `Logger` — carries
///   `request_id`, `trace_id`, `span_id` and `parent_span_id`;
/// - writes one `http.request` event: method, route template (never the raw path), status, `duration_ms`, bytes in
///   and out, and `error_code` / `retryable` for failures. Headers and bodies are never logged. A response of known
///   length is logged when the handler returns it; a streamed body when its last byte has been sent (or sending
///   failed), with the bytes actually written.
///
/// Errors thrown by the handler become their responses here (an `HTTPResponseError`'s own, otherwise 500), so the
/// request id reaches the client on failures too; add this middleware first (outermost). A request whose handler
/// is cancelled (a client that went away, a deadline the handler enforces, a server shutting down) is logged with
/// `error_code` `cancelled`; an error adopting ``ClassifiedError`` (an upstream timeout, say) gives its own code.
///
/// ```swift
/// let router = Router()
/// router.add(middleware: KeelRequestMiddleware())
/// ```
public struct KeelRequestMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Headers an incoming request id is taken from, first match wins.
    public let requestIDHeaders: [HTTPField.Name]
    /// The response header carrying the request id.
    public let responseHeader: HTTPField.Name

    public init(
        requestIDHeaders: [HTTPField.Name] = [.xRequestID, .xCorrelationID], responseHeader: HTTPField.Name = .xRequestID
    ) {
        self.requestIDHeaders = requestIDHeaders
        self.responseHeader = responseHeader
    }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let start = ContinuousClock.now
        let requestID = incomingRequestID(request) ?? RequestID.make()
        let incoming = request.headers[.w3cTraceparent].flatMap { TraceParent(header: $0) }
        let span = incoming?.child() ?? .newTrace()
        let logContext = LogContext(
            requestID: requestID, traceID: span.traceID, spanID: span.spanID, parentSpanID: incoming?.spanID)

        var context = context
        // Hummingbird's own per-request id (`context.id`) becomes ours, so both name the same request.
        context.logger[metadataKey: "hb.request.id"] = .string(requestID)
        let logger = context.logger
        let access = AccessEvent(
            request: request, context: logContext, bytesIn: request.headers[.contentLength].flatMap { Int($0) },
            start: start, logger: logger)

        return await withLogContext(logContext) {
            await withLogger(logger) { _ in
                var response: Response
                var failure: (any Error)?
                do {
                    response = try await next(request, context)
                } catch {
                    failure = error
                    response = Self.response(for: error, request: request, context: context)
                }
                response.headers[responseHeader] = requestID
                response.headers[.w3cTraceparent] = span.header
                let route = context.endpointPath ?? "NotFound"
                return access.attach(to: response, route: route, failure: failure)
            }
        }
    }

    private func incomingRequestID(_ request: Request) -> String? {
        for name in requestIDHeaders {
            if let value = request.headers[name], let id = RequestID.accepting(value) { return id }
        }
        return nil
    }

    /// What Hummingbird would answer for `error`: an `HTTPResponseError`'s own response, otherwise 500.
    static func response(for error: any Error, request: Request, context: Context) -> Response {
        if let error = error as? any HTTPResponseError {
            if let response = try? error.response(from: request, context: context) { return response }
            return Response(status: error.status)
        }
        return Response(status: .internalServerError)
    }
}

extension HTTPField.Name {
    public static let xRequestID = Self("X-Request-ID")!
    public static let xCorrelationID = Self("X-Correlation-ID")!
    /// W3C Trace Context's header (named here so as not to clash with other modules' declarations).
    public static let w3cTraceparent = Self("traceparent")!
}
