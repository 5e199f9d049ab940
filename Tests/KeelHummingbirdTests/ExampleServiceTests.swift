import ExampleService
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Keel
import KeelHummingbird
import KeelTesting
import Logging
import NIOCore
import Testing

/// Drives the example service over real HTTP on 127.0.0.1 and reads what it logged.
@Suite struct ExampleServiceTests {
    let logging = TestLogging()

    func withService(_ test: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let app = ExampleApplication.make(port: 0, logger: logging.logger(label: "example"), supervisor: nil)
        try await app.test(.live) { client in try await test(client) }
    }

    /// The lines logged so far, once the `http.request` events of `count` requests are in: the access event is
    /// written after the response has gone out, so it may land just after the client has the response.
    func events(afterRequests count: Int) async throws -> [JSONValue] {
        let deadline = ContinuousClock.now + .seconds(10)
        while true {
            let events = try logging.sink.events()
            if events.filter({ $0["event"]?.stringValue == "http.request" }).count >= count || ContinuousClock.now > deadline {
                return events
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    @Test func anIncomingRequestIDIsUsedReturnedAndOnEveryLineOfTheRequest() async throws {
        try await withService { client in
            let response = try await client.execute(
                uri: "/v1/runs", method: .post, headers: [.xRequestID: "req-from-client-1"])
            #expect(response.status == .ok)
            #expect(response.headers[.xRequestID] == "req-from-client-1")
        }
        let events = try await events(afterRequests: 1)
        #expect(events.count > 10, "the run writes flow, step, tool and usage events")
        // Every line of the request: all but the server's own start-up line.
        let requestLines = events.filter { $0["message"]?.stringValue?.hasPrefix("Server started") != true }
        #expect(requestLines.count == events.count - 1)
        for event in requestLines {
            #expect(event["request_id"]?.stringValue == "req-from-client-1", "\(event["event"]?.stringValue ?? "")")
        }
        let access = try #require(events.last { $0["event"]?.stringValue == "http.request" })
        #expect(access["method"]?.stringValue == "POST")
        #expect(access["route"]?.stringValue == "/v1/runs")
        #expect(access["status"] == .number("200"))
        #expect((access["duration_ms"]?.doubleValue ?? -1) > 0)
        #expect(access["bytes_out"] != nil)
        #expect(access["error_code"] == nil)
        let kinds = Set(events.compactMap { $0["event"]?.stringValue })
        #expect(kinds.isSuperset(of: ["flow.started", "step.ended", "agent.decision", "usage.recorded", "tool_call.ended"]))
    }

    @Test func aCorrelationIDIsAcceptedAndMalformedIDsAreReplaced() async throws {
        let malformed = ["has spaces", String(repeating: "x", count: 200), "quote\"inside", "<script>"]
        try await withService { client in
            let correlated = try await client.execute(
                uri: "/v1/users/u_1", method: .get, headers: [.xCorrelationID: "corr-42"])
            #expect(correlated.headers[.xRequestID] == "corr-42")
            let missing = try await client.execute(uri: "/v1/users/u_1", method: .get)
            #expect(RequestID.accepting(missing.headers[.xRequestID] ?? "")?.count == 36)
            for bad in malformed {
                let response = try await client.execute(uri: "/v1/users/u_1", method: .get, headers: [.xRequestID: bad])
                let returned = try #require(response.headers[.xRequestID])
                #expect(returned != bad && returned.count == 36)
            }
        }
        let access = try await events(afterRequests: 2 + malformed.count).filter { $0["event"]?.stringValue == "http.request" }
        #expect(access.contains { $0["request_id"]?.stringValue == "corr-42" })
        #expect(access.allSatisfy { ($0["request_id"]?.stringValue?.count ?? 0) <= 36 })
        #expect(!logging.sink.lines.contains { $0.contains("<script>") || $0.contains("has spaces") })
    }

    @Test func routesAreLoggedAsTemplatesWithStatusAndBytes() async throws {
        try await withService { client in
            let response = try await client.execute(uri: "/v1/users/u_2?debug=1", method: .get)
            #expect(response.status == .ok)
        }
        let access = try #require(try await events(afterRequests: 1).last { $0["event"]?.stringValue == "http.request" })
        #expect(access["route"]?.stringValue == "/v1/users/{id}")
        #expect(!logging.sink.lines.contains { $0.contains("u_2") || $0.contains("debug=1") })
        #expect(access["bytes_out"] == .number("\(#"{"id":"u_2","name":"Grace"}"#.utf8.count)"))
    }

    @Test func aStreamedBodyIsCountedAsItIsSent() async throws {
        try await withService { client in
            let response = try await client.execute(uri: "/v1/export", method: .get)
            #expect(String(buffer: response.body).components(separatedBy: "\n").count == 4)
        }
        let access = try #require(try await events(afterRequests: 1).last { $0["event"]?.stringValue == "http.request" })
        #expect(access["route"]?.stringValue == "/v1/export")
        #expect(access["bytes_out"] == .number("\(3 * "chunk 1 of the export\n".utf8.count)"))
        #expect(!logging.sink.lines.contains { $0.contains("chunk") })
    }

    @Test func failuresCarryStatusErrorCodeAndRetryable() async throws {
        try await withService { client in
            #expect(try await client.execute(uri: "/v1/users/nobody", method: .get).status == .notFound)
            let unavailable = try await client.execute(uri: "/v1/fail", method: .get)
            #expect(unavailable.status == .serviceUnavailable)
            #expect(unavailable.headers[.xRequestID] != nil, "the id is returned on failures too")
            #expect(try await client.execute(uri: "/v1/crash", method: .get).status == .internalServerError)
            #expect(try await client.execute(uri: "/no/such/route", method: .get).status == .notFound)
        }
        let events = try await events(afterRequests: 4)
        let access = events.filter { $0["event"]?.stringValue == "http.request" }
        func entry(_ route: String, _ status: Int) -> JSONValue? {
            access.first { $0["route"]?.stringValue == route && $0["status"] == .number("\(status)") }
        }
        let notFound = try #require(entry("/v1/users/{id}", 404))
        #expect(notFound["error_code"]?.stringValue == "not_found")
        #expect(notFound["retryable"] == .bool(false))
        #expect(notFound["level"]?.stringValue == "INFO")
        let upstream = try #require(entry("/v1/fail", 503))
        #expect(upstream["error_code"]?.stringValue == "upstream_unavailable")
        #expect(upstream["retryable"] == .bool(true))
        #expect(upstream["level"]?.stringValue == "ERROR")
        let crash = try #require(entry("/v1/crash", 500))
        #expect(crash["error_code"]?.stringValue == "internal_server_error")
        #expect(crash["error"]?["type"]?.stringValue?.contains("Unexpected") == true)
        #expect(access.contains { $0["status"] == .number("404") && $0["route"]?.stringValue == "NotFound" })
        let operation = try #require(events.first { $0["event"]?.stringValue == "operation.ended" })
        #expect(operation["error_code"]?.stringValue == "upstream_unavailable")
        #expect(operation["request_id"] == upstream["request_id"])
    }

    @Test func traceparentIsContinuedOrStarted() async throws {
        let incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        try await withService { client in
            let continued = try await client.execute(uri: "/v1/users/u_1", method: .get, headers: [.w3cTraceparent: incoming])
            let sent = try #require(TraceParent(header: continued.headers[.w3cTraceparent] ?? ""))
            #expect(sent.traceID == "4bf92f3577b34da6a3ce929d0e0e4736")
            #expect(sent.spanID != "00f067aa0ba902b7")
            let malformed = try await client.execute(
                uri: "/v1/users/u_1", method: .get, headers: [.w3cTraceparent: "00-zz-00f067aa0ba902b7-01"])
            let started = try #require(TraceParent(header: malformed.headers[.w3cTraceparent] ?? ""))
            #expect(started.traceID != "4bf92f3577b34da6a3ce929d0e0e4736")
        }
        let access = try await events(afterRequests: 2).filter { $0["event"]?.stringValue == "http.request" }
        let first = try #require(access.first { $0["trace_id"]?.stringValue == "4bf92f3577b34da6a3ce929d0e0e4736" })
        #expect(first["parent_span_id"]?.stringValue == "00f067aa0ba902b7")
        #expect(access.contains { $0["trace_id"] != nil && $0["parent_span_id"] == nil })
    }

    @Test func noRequestOrResponseBodyEverReachesALine() async throws {
        let prompt = "BODY-MARKER-5521 my card is 4111 1111 1111 1111"
        try await withService { client in
            let chat = try await client.execute(uri: "/v1/chat", method: .post, body: ByteBuffer(string: prompt))
            #expect(String(buffer: chat.body).contains("characters"))
            let login = try await client.execute(
                uri: "/login", method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"user":"ada","password":"PASSWORD-MARKER-77"}"#))
            #expect(login.status == .unauthorized)
            let good = try await client.execute(
                uri: "/login", method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"user":"ada","password":"correct horse battery staple"}"#))
            #expect(good.status == .noContent)
        }
        let events = try await events(afterRequests: 3)
        for line in logging.sink.lines {
            #expect(!line.contains("MARKER"))
            #expect(!line.contains("4111 1111"))
            #expect(!line.contains("You said"), "the response body")
            #expect(!line.contains("correct horse"))
        }
        let audit = events.filter { $0["storage_class"]?.stringValue == "audit" }
        #expect(audit.map { $0["event"]?.stringValue } == ["auth.login_failed", "auth.login_succeeded"])
        #expect(audit.allSatisfy { $0["user_id"]?.stringValue == "ada" && $0["request_id"] != nil })
        #expect(audit.allSatisfy { $0["method"] == nil && $0["context"]?["auth_method"]?.stringValue == "password" })
        let chat = try #require(events.first { $0["event"]?.stringValue == "tool_call.started" })
        #expect(chat["context"]?["input_bytes"] == .number("\(prompt.utf8.count)"))
        let bytesIn = events.first { $0["event"]?.stringValue == "http.request" && $0["route"]?.stringValue == "/v1/chat" }?["bytes_in"]
        #expect(bytesIn == .number("\(prompt.utf8.count)"))
    }
}
