import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Keel
import KeelHummingbird
import KeelTesting
import Logging
import Testing

/// Requests that time out upstream or are cancelled are logged like any other, with their own codes.
@Suite struct MiddlewareFailureTests {
    struct UpstreamTimeout: HTTPResponseError, ClassifiedError {
        var status: HTTPResponse.Status { .gatewayTimeout }
        var errorCode: String { "upstream_timeout" }
        var isRetryable: Bool? { true }
        func response(from request: Request, context: some RequestContext) throws -> Response {
            Response(status: status, headers: [.retryAfter: "1"])
        }
    }

    @Test func timeoutsAndCancellationsAreLoggedWithTheirCodes() async throws {
        let logging = TestLogging()
        let router = Router()
        router.add(middleware: KeelRequestMiddleware())
        router.get("/slow-upstream") { _, _ -> Response in
            try await Task.sleep(for: .milliseconds(5))
            throw UpstreamTimeout()
        }
        router.get("/cancelled") { _, _ -> Response in throw CancellationError() }
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            logger: logging.logger(label: "failures"))
        try await app.test(.live) { client in
            let timedOut = try await client.execute(uri: "/slow-upstream", method: .get)
            #expect(timedOut.status == .gatewayTimeout)
            #expect(timedOut.headers[.retryAfter] == "1", "the error's own response is kept")
            #expect(timedOut.headers[.xRequestID] != nil)
            let cancelled = try await client.execute(uri: "/cancelled", method: .get)
            #expect(cancelled.status == .internalServerError)
        }
        let access = try logging.sink.events().filter { $0["event"]?.stringValue == "http.request" }
        let timeout = try #require(access.first { $0["route"]?.stringValue == "/slow-upstream" })
        #expect(timeout["status"] == .number("504"))
        #expect(timeout["error_code"]?.stringValue == "upstream_timeout")
        #expect(timeout["retryable"] == .bool(true))
        let duration = timeout["duration_ms"]?.doubleValue ?? 0
        #expect(duration >= 5 && duration < 5000, "milliseconds: \(duration)")
        #expect(timeout["level"]?.stringValue == "ERROR")
        let cancelled = try #require(access.first { $0["route"]?.stringValue == "/cancelled" })
        #expect(cancelled["error_code"]?.stringValue == "cancelled")
        #expect(cancelled["retryable"] == .bool(true))
    }

    @Test func statusCodesBecomeStableErrorCodes() async throws {
        let logging = TestLogging()
        let router = Router()
        router.add(middleware: KeelRequestMiddleware())
        router.get("/teapot") { _, _ -> Response in Response(status: .init(code: 418)) }
        router.get("/limited") { _, _ -> Response in throw HTTPError(.tooManyRequests) }
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            logger: logging.logger(label: "codes"))
        try await app.test(.live) { client in
            _ = try await client.execute(uri: "/teapot", method: .get)
            _ = try await client.execute(uri: "/limited", method: .get)
        }
        let access = try logging.sink.events().filter { $0["event"]?.stringValue == "http.request" }
        let limited = try #require(access.first { $0["route"]?.stringValue == "/limited" })
        #expect(limited["error_code"]?.stringValue == "too_many_requests")
        #expect(limited["retryable"] == .bool(true))
        let teapot = try #require(access.first { $0["route"]?.stringValue == "/teapot" })
        #expect(teapot["status"] == .number("418"))
        #expect(teapot["retryable"] == .bool(false))
        #expect(teapot["error_code"]?.stringValue?.isEmpty == false)
    }
}
