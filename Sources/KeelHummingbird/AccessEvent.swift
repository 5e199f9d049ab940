import Hummingbird
import HTTPTypes
import Keel
import Logging
import NIOCore
import Synchronization

/// The `http.request` event of one request. Written when the handler returns when the response's length is known
/// (wrapping such a body to log after sending it made Hummingbird write it in more steps: a quarter of W4's
/// throughput), or at once when the handler failed; a streamed body is counted as it is sent and logged when it
/// ends.
struct AccessEvent: Sendable {
    let method: String
    let context: LogContext
    let bytesIn: Int?
    let start: ContinuousClock.Instant
    let logger: Logger

    init(request: Request, context: LogContext, bytesIn: Int?, start: ContinuousClock.Instant, logger: Logger) {
        self.method = request.method.rawValue
        self.context = context
        self.bytesIn = bytesIn
        self.start = start
        self.logger = logger
    }

    /// `response` — with its body wrapped to count and log it, when it is streamed — after writing the event or
    /// arranging for it.
    func attach(to response: Response, route: String, failure: (any Error)?) -> Response {
        if let failure {
            write(route: route, status: response.status, bytesOut: response.body.contentLength, failure: failure)
            return response
        }
        if let length = response.body.contentLength {
            write(route: route, status: response.status, bytesOut: length, failure: nil)
            return response
        }
        var response = response
        let body = response.body
        let status = response.status
        let counter = ByteCounter()
        response.body = ResponseBody(contentLength: body.contentLength) { writer in
            do {
                try await body.write(CountingBodyWriter(base: writer, counter: counter))
            } catch {
                write(route: route, status: status, bytesOut: counter.total, failure: ResponseWriteFailed(underlying: error))
                throw error
            }
            write(route: route, status: status, bytesOut: counter.total, failure: nil)
        }
        return response
    }

    func write(route: String, status: HTTPResponse.Status, bytesOut: Int?, failure: (any Error)?) {
        var metadata: Logger.Metadata = [
            "method": .string(method), "route": .string(route), "status": .stringConvertible(status.code),
            "duration_ms": .stringConvertible((ContinuousClock.now - start).inMilliseconds),
        ]
        if let bytesIn { metadata["bytes_in"] = .stringConvertible(bytesIn) }
        if let bytesOut { metadata["bytes_out"] = .stringConvertible(bytesOut) }
        let outcome = HTTPFailure(status: status, error: failure)
        if let code = outcome.errorCode { metadata["error_code"] = .string(code) }
        if let retryable = outcome.retryable { metadata["retryable"] = .stringConvertible(retryable) }
        // Written after the handler's task-local context has ended (the body is sent later): the request's ids are
        // bound again for this one call.
        LogContext.$current.withValue(context) {
            logger.log(
                EventCatalogue.httpRequest, "\(method) \(route) \(status.code)",
                level: status.code >= 500 || failure is ResponseWriteFailed ? .error : .info,
                error: failure.map { ($0 as? ResponseWriteFailed)?.underlying ?? $0 }, metadata: metadata)
        }
    }
}

/// The response was produced but could not be sent (most often: the client went away).
struct ResponseWriteFailed: Error, ClassifiedError {
    let underlying: any Error
    var errorCode: String { "response_write_failed" }
    var isRetryable: Bool? { true }
}

/// Bytes written to a response body, readable once the body is done.
final class ByteCounter: Sendable {
    private let count = Atomic<Int>(0)
    func add(_ bytes: Int) { count.add(bytes, ordering: .relaxed) }
    var total: Int { count.load(ordering: .relaxed) }
}

/// Passes a response body through, counting its bytes.
struct CountingBodyWriter: ResponseBodyWriter {
    var base: any ResponseBodyWriter
    let counter: ByteCounter

    mutating func write(_ buffer: ByteBuffer) async throws {
        counter.add(buffer.readableBytes)
        try await base.write(buffer)
    }

    mutating func write(contentsOf buffers: some Sequence<ByteBuffer>) async throws {
        for buffer in buffers { counter.add(buffer.readableBytes) }
        try await base.write(contentsOf: buffers)
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        try await base.finish(trailingHeaders)
    }
}
